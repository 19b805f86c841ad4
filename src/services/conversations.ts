import type { ConversationCreateParams, ConversationUpdateParams } from 'openai/resources/conversations/conversations';
import type { ItemCreateParams } from 'openai/resources/conversations/items';
import type { ResponseInputItem } from 'openai/resources/responses/responses';
import * as items from '../db/conversation-items.js';
import type { PageQuery } from '../db/pagination.js';
import * as threads from '../db/threads.js';
import { NotFoundError } from '../errors.js';
import { newId, threadIdOf } from '../ids.js';
import { nowSeconds } from '../time.js';
import type { Deps } from './deps.js';
import { deleteThread } from './threads.js';

/**
 * The Conversations API on the Assistants API's threads: a conversation is a thread
 * (`conv_X` is `thread_X`, src/ids.ts), its message items are the thread's messages, and its
 * other items (function calls and their outputs) are kept beside them.
 */

/** A conversation's thread, named as the request named it when missing. */
async function threadOf(db: Deps['db'], conversationId: string) {
  try {
    return await threads.findThread(db, threadIdOf(conversationId));
  } catch (err) {
    throw err instanceof NotFoundError ? new NotFoundError('conversation', conversationId) : err;
  }
}

/** New items, each with an id of its own. */
const withIds = (input: ResponseInputItem[]) =>
  input.map((item) => {
    const type = 'type' in item && item.type ? item.type : 'message';
    return { ...item, type, id: newId(type === 'message' ? 'message' : 'functionCall'), status: 'completed' } as { id: string } & Record<string, unknown>;
  });

export function createConversation({ db, projectId }: Deps, input: ConversationCreateParams) {
  return db.$transaction(async (tx) => {
    const rows = threads.newThreadRows(projectId, { metadata: (input.metadata ?? {}) as Record<string, string> });
    const thread = await threads.insertThread(tx, rows);
    await items.appendItems(tx, thread.id, withIds(input.items ?? []) as never[], thread.createdAt);
    return thread;
  });
}

export const getConversation = ({ db }: Deps, id: string) => threadOf(db, id);

export async function updateConversation({ db }: Deps, id: string, input: ConversationUpdateParams) {
  const thread = await threadOf(db, id);
  return threads.updateThread(db, thread.id, { metadata: (input.metadata ?? {}) as Record<string, string> });
}

export async function deleteConversation(deps: Deps, id: string): Promise<void> {
  await deleteThread(deps, (await threadOf(deps.db, id)).id);
}

/** Appends items; returns them as stored, in order. */
export async function addItems({ db }: Deps, id: string, input: Omit<ItemCreateParams, 'include'>): Promise<items.ConversationRow[]> {
  return db.$transaction(async (tx) => {
    const thread = await threadOf(tx as Deps['db'], id);
    await threads.lockThread(tx, thread.id);
    const added = withIds(input.items);
    await items.appendItems(tx, thread.id, added as never[], nowSeconds());
    return Promise.all(added.map((a) => items.findItem(tx, thread.id, a.id)));
  });
}

export async function listItems({ db }: Deps, id: string, q: PageQuery) {
  return items.pageItems(db, (await threadOf(db, id)).id, q);
}

export async function getItem({ db }: Deps, id: string, itemId: string) {
  return items.findItem(db, (await threadOf(db, id)).id, itemId);
}

/** Returns the conversation, as OpenAI's delete-item does. */
export async function deleteItem({ db }: Deps, id: string, itemId: string) {
  const thread = await threadOf(db, id);
  await items.deleteItem(db, thread.id, itemId);
  return thread;
}
