import type { MessageContent, MessageCreateParams } from 'openai/resources/beta/threads/messages';
import type { Metadata } from 'openai/resources/shared';
import { NotFoundError } from '../errors.js';
import { Prisma, type Message as MessageRow } from '../generated/prisma/client.js';
import { columnsOf, setList } from './raw.js';
import { asMessage, type MessageRecord } from './records.js';
import { newId } from '../ids.js';
import { nowSeconds } from '../time.js';
import type { Tx } from './client.js';
import { page, type PageQuery } from './pagination.js';

/** The `messages` table. Lookups by id throw NotFoundError when there is no such row. */

export const MESSAGE_COLUMNS = columnsOf(Prisma.MessageScalarFieldEnum);

// Rows written by the API (a run's own messages are written by its activities).

/** Request content (a string or parts) in OpenAI's stored shape: always an array of parts. */
export function contentParts(content: MessageCreateParams['content']): MessageContent[] {
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
export function messageRow(threadId: string, input: MessageCreateParams, createdAt = nowSeconds()) {
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
export type NewMessage = ReturnType<typeof messageRow>;

export async function insertMessage(tx: Tx, row: NewMessage): Promise<MessageRecord> {
  return asMessage(await tx.message.create({ data: row }));
}

export async function insertMessages(tx: Tx, rows: NewMessage[]): Promise<void> {
  if (rows.length) await tx.message.createMany({ data: rows });
}

// Reads and changes.

export async function findMessage(db: Tx, threadId: string, id: string): Promise<MessageRecord> {
  const row = await db.message.findFirst({ where: { id, threadId } });
  if (!row) throw new NotFoundError('message', id);
  return asMessage(row);
}

/** A thread's messages, or only those a run wrote. */
export async function pageMessages(db: Tx, threadId: string, q: PageQuery, runId?: string) {
  const { items, hasMore } = await page(q, (args) => db.message.findMany({ ...args, where: { ...args.where, threadId, ...(runId ? { runId } : {}) } }));
  return { items: items.map(asMessage), hasMore };
}

export async function setMessageMetadata(db: Tx, id: string, metadata: Metadata): Promise<MessageRecord> {
  return asMessage(await db.message.update({ where: { id }, data: { metadata } }));
}

export async function deleteMessage(db: Tx, threadId: string, id: string): Promise<void> {
  const { count } = await db.message.deleteMany({ where: { id, threadId } });
  if (count === 0) throw new NotFoundError('message', id);
}

/** A run's own message as it streams and ends (raw: on the run's path to its end). */
export async function updateMessage(tx: Tx, messageId: string, fields: Partial<Record<keyof MessageRow, unknown>>): Promise<MessageRecord | null> {
  const [row] = await tx.$queryRaw<MessageRow[]>`UPDATE messages SET ${setList(fields)} WHERE id = ${messageId} RETURNING ${MESSAGE_COLUMNS}`;
  return row ? asMessage(row) : null;
}
