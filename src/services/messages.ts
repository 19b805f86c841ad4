import type { MessageContent } from 'openai/resources/beta/threads/messages';
import { z } from 'zod';
import { badRequest, notFound } from '../http/errors.js';
import { page, type ListQuery } from '../http/pagination.js';
import { Metadata, type MessageInput } from '../http/schemas.js';
import { newId } from '../ids.js';
import { nowSeconds } from '../time.js';
import type { Deps } from './deps.js';
import { activeRunOf, lockThread, requireThread } from './threads.js';

export const MessageUpdate = z.strictObject({ metadata: Metadata.nullish() });

/** Request content (a string or parts) in OpenAI's stored shape: always an array of parts. */
export function contentParts(content: MessageInput['content']): MessageContent[] {
  if (typeof content === 'string') return [{ type: 'text', text: { value: content, annotations: [] } }];
  return content.map((part): MessageContent => {
    switch (part.type) {
      case 'text':
        return { type: 'text', text: { value: part.text, annotations: [] } };
      case 'image_file':
        return { type: 'image_file', image_file: { file_id: part.image_file.file_id, detail: part.image_file.detail ?? 'auto' } };
      case 'image_url':
        return { type: 'image_url', image_url: { url: part.image_url.url, detail: part.image_url.detail ?? 'auto' } };
    }
  });
}

/** The row for a message written by the API (not by a run). */
export function messageRow(threadId: string, input: MessageInput, createdAt = nowSeconds()) {
  return {
    id: newId('message'),
    threadId,
    createdAt,
    role: input.role,
    content: contentParts(input.content) as object[],
    status: 'completed',
    completedAt: createdAt,
    attachments: (input.attachments ?? []) as object[],
    metadata: input.metadata ?? {},
  };
}

export async function createMessage({ db }: Deps, threadId: string, input: MessageInput) {
  return db.$transaction(async (tx) => {
    await lockThread(tx, threadId);
    const active = await activeRunOf(tx, threadId);
    if (active) throw badRequest(`Can't add messages to ${threadId} while a run ${active.id} is active.`);
    return tx.message.create({ data: messageRow(threadId, input) });
  });
}

export async function getMessage({ db }: Deps, threadId: string, id: string) {
  const row = await db.message.findFirst({ where: { id, threadId } });
  if (!row) throw notFound('message', id);
  return row;
}

export async function listMessages({ db }: Deps, threadId: string, q: ListQuery & { run_id?: string }) {
  await requireThread(db, threadId);
  return page(q, (args) => db.message.findMany({ ...args, where: { ...args.where, threadId, ...(q.run_id ? { runId: q.run_id } : {}) } }));
}

export async function updateMessage(deps: Deps, threadId: string, id: string, input: z.output<typeof MessageUpdate>) {
  await getMessage(deps, threadId, id);
  if (input.metadata === undefined) return getMessage(deps, threadId, id);
  return deps.db.message.update({ where: { id }, data: { metadata: input.metadata ?? {} } });
}

export async function deleteMessage({ db }: Deps, threadId: string, id: string) {
  const { count } = await db.message.deleteMany({ where: { id, threadId } });
  if (count === 0) throw notFound('message', id);
}
