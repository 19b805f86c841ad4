import type { Assistant, AssistantCreateParams } from 'openai/resources/beta/assistants';
import type { ThreadCreateParams } from 'openai/resources/beta/threads/threads';
import type { VectorStore } from 'openai/resources/vector-stores/vector-stores';
import type { Tx } from '../db/client.js';
import { touchVectorStore, vectorStoreExpired, vectorStoresByIds } from '../db/vector-stores.js';
import { NotFoundError } from '../errors.js';
import type { Deps } from './deps.js';
import { createVectorStoreIn } from './vector-stores.js';

/** As a create request gives them: file_search may make its store (`vector_stores`). */
export type ToolResourcesInput = AssistantCreateParams.ToolResources | ThreadCreateParams.ToolResources;
/** As assistants and threads keep and show them: file_search names its store. */
export type StoredToolResources = NonNullable<Assistant['tool_resources']>;

/** OpenAI's policy for stores the thread helpers make (openai-contract.md §7). */
export const THREAD_STORE_EXPIRY: VectorStore.ExpiresAfter = { anchor: 'last_active_at', days: 7 };

const PARAM = 'tool_resources.file_search';

/**
 * `tool_resources` as they are kept, in the caller's transaction: the stores
 * `file_search.vector_store_ids` names must exist and not have expired (and count as used);
 * a `vector_stores` helper makes its store, its files' ingestion started, and is kept as that
 * store's id. `helperExpiry` is the policy a helper's store gets.
 */
export async function resolveToolResources(
  deps: Deps,
  tx: Tx,
  resources: ToolResourcesInput | null | undefined,
  helperExpiry?: VectorStore.ExpiresAfter,
): Promise<StoredToolResources | null | undefined> {
  const fileSearch = resources?.file_search;
  if (!resources || !fileSearch) return resources;
  if ('vector_stores' in fileSearch && fileSearch.vector_stores) {
    const [spec] = fileSearch.vector_stores;
    const store = spec && (await createVectorStoreIn(deps, tx, { ...spec, expires_after: helperExpiry }, `${PARAM}.vector_stores[0].`));
    return { ...resources, file_search: { vector_store_ids: store ? [store.id] : [] } };
  }
  const ids = fileSearch.vector_store_ids ?? [];
  const found = new Map((await vectorStoresByIds(tx, deps.projectId, ids)).map((s) => [s.id, s]));
  for (const [i, id] of ids.entries()) {
    const param = `${PARAM}.vector_store_ids[${i}]`;
    const store = found.get(id);
    if (!store) throw new NotFoundError('vector store', id, undefined, param);
    if (store.expired) throw vectorStoreExpired(id, param);
    await touchVectorStore(tx, id);
  }
  return { ...resources, file_search: { vector_store_ids: ids } };
}
