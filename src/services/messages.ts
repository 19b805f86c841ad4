import type { MessageCreateParams, MessageUpdateParams } from 'openai/resources/beta/threads/messages';
import * as messages from '../db/messages.js';
import type { PageQuery } from '../db/pagination.js';
import { activeRunOf } from '../db/runs.js';
import { lockThread, requireThread } from '../db/threads.js';
import { ConflictError } from '../errors.js';
import { attachForFileSearch } from './attachments.js';
import type { Deps } from './deps.js';

/** A list of a thread's messages, or of those one run wrote. */
export interface MessageListQuery extends PageQuery {
  run_id?: string | undefined;
}

/** The body of a message update (the thread comes from the path). */
export type MessageChanges = Omit<MessageUpdateParams, 'thread_id'>;

/** A message joins its thread only while no run is active on it; its file_search attachments join the thread's store. */
export function createMessage(deps: Deps, threadId: string, input: MessageCreateParams) {
  return deps.db.$transaction(async (tx) => {
    await lockThread(tx, threadId);
    const active = await activeRunOf(tx, threadId);
    if (active) throw new ConflictError(`Can't add messages to ${threadId} while a run ${active.id} is active.`);
    const message = await messages.insertMessage(tx, messages.messageRow(threadId, input));
    await attachForFileSearch(deps, tx, threadId, [input], (_, i) => `attachments[${i}].file_id`);
    return message;
  });
}

export function getMessage({ db }: Deps, threadId: string, id: string) {
  return messages.findMessage(db, threadId, id);
}

export async function listMessages({ db }: Deps, threadId: string, q: MessageListQuery) {
  await requireThread(db, threadId);
  return messages.pageMessages(db, threadId, q, q.run_id);
}

export async function updateMessage({ db }: Deps, threadId: string, id: string, input: MessageChanges) {
  const row = await messages.findMessage(db, threadId, id);
  if (input.metadata === undefined) return row;
  return messages.setMessageMetadata(db, id, input.metadata ?? {});
}

export function deleteMessage({ db }: Deps, threadId: string, id: string) {
  return messages.deleteMessage(db, threadId, id);
}
