import type { MessageCreateParams } from 'openai/resources/beta/threads/messages';
import type { Tx } from '../db/client.js';
import { toJson } from '../db/json.js';
import type { ThreadRecord } from '../db/records.js';
import { findThread, updateThread } from '../db/threads.js';
import type { Deps } from './deps.js';
import { THREAD_STORE_EXPIRY } from './tool-resources.js';
import { attachFiles, usableStore } from './vector-store-files.js';
import { createVectorStoreIn } from './vector-stores.js';

/**
 * Message attachments for file_search join the thread's vector store, as OpenAI's do: the store
 * its `tool_resources.file_search` names, or a new one (OpenAI's 7-day policy for stores the
 * thread helpers make) that the thread then names. In the caller's transaction, with the
 * messages. `param(j, i)` names attachment i of message j, for a missing file's 404. Returns
 * the thread as it now is when its tool_resources changed.
 */
export async function attachForFileSearch(
  deps: Deps,
  tx: Tx,
  threadId: string,
  messages: readonly Pick<MessageCreateParams, 'attachments'>[],
  param: (message: number, attachment: number) => string,
): Promise<ThreadRecord | undefined> {
  const wanted = messages.flatMap((m, j) =>
    (m.attachments ?? []).flatMap((a, i) => (a.file_id && a.tools?.some((t) => t.type === 'file_search') ? [{ file_id: a.file_id, param: param(j, i) }] : [])),
  );
  if (wanted.length === 0) return undefined;
  const resources = (await findThread(tx, threadId)).toolResources;
  const named = resources?.file_search?.vector_store_ids?.[0];
  const storeId = named ? (await usableStore(tx, named)).id : (await createVectorStoreIn(deps, tx, { expires_after: THREAD_STORE_EXPIRY })).id;
  await attachFiles(deps, tx, storeId, wanted, { paramOf: (k) => wanted[k]!.param });
  if (named) return undefined;
  return updateThread(tx, threadId, { toolResources: toJson({ ...resources, file_search: { vector_store_ids: [storeId] } }) });
}
