import type { VectorStoreCreateParams, VectorStoreUpdateParams } from 'openai/resources/vector-stores/vector-stores';
import { vectorStoreExpiry, vectorStoreExpiryWorkflowId } from '../../workflows/vector-store-expiry.js';
import type { Tx } from '../db/client.js';
import { jsonOrDbNull } from '../db/json.js';
import type { PageQuery } from '../db/pagination.js';
import type { VectorStoreRecord } from '../db/records.js';
import { summarizeFiles, type FilesSummary } from '../db/vector-store-files.js';
import * as stores from '../db/vector-stores.js';
import type { Prisma } from '../generated/prisma/client.js';
import { newId } from '../ids.js';
import { terminateIfRunning } from '../temporal.js';
import { nowSeconds } from '../time.js';
import type { Deps } from './deps.js';
import { attachFiles } from './vector-store-files.js';

/**
 * The Vector Stores API. A store with `expires_after` has a small workflow
 * (workflows/vector-store-expiry.ts) that expires it once `last_active_at + days` passes.
 */

/** A store with what its files add up to, as the wire shows it. */
export interface VectorStoreState {
  store: VectorStoreRecord;
  files: FilesSummary;
}

async function withFiles(db: Tx, list: VectorStoreRecord[]): Promise<VectorStoreState[]> {
  const summaries = await summarizeFiles(db, 'vectorStoreId', list.map((s) => s.id));
  return list.map((store) => ({ store, files: summaries.get(store.id)! }));
}

const one = async (db: Tx, store: VectorStoreRecord) => (await withFiles(db, [store]))[0]!;

/** The store's expiry timer, for its `expires_at`; one already set for the store is replaced. */
function armExpiry(deps: Deps, vectorStoreId: string, expiresAt: number) {
  return deps.temporal.workflow.start(vectorStoreExpiry, {
    workflowId: vectorStoreExpiryWorkflowId(vectorStoreId),
    taskQueue: deps.config.temporal.taskQueue,
    args: [{ vectorStoreId, expiresAt }],
    workflowIdConflictPolicy: 'TERMINATE_EXISTING',
  });
}

/** `file_ids` (≤ 500) are attached with the one `chunking_strategy`. `description` is taken but not kept: OpenAI's object does not show it. */
export type VectorStoreCreateInput = Omit<VectorStoreCreateParams, 'description'>;

/**
 * In the caller's transaction: the tool_resources helper makes a store with its assistant or
 * thread, its fields under `param` (a prefix of `file_ids`, for a missing file's 404).
 */
export async function createVectorStoreIn(deps: Deps, tx: Tx, input: VectorStoreCreateInput, param = ''): Promise<VectorStoreRecord> {
  const now = nowSeconds();
  const expiresAt = input.expires_after ? now + input.expires_after.days * deps.config.vectorStores.daySeconds : null;
  const store = await stores.insertVectorStore(tx, {
    id: newId('vectorStore'),
    projectId: deps.projectId,
    createdAt: now,
    lastActiveAt: now,
    name: input.name ?? null,
    metadata: input.metadata ?? {},
    expiresAfter: jsonOrDbNull(input.expires_after ?? null),
    expiresAt,
  });
  // Inside the transaction: a timer that cannot start leaves no store behind.
  if (expiresAt !== null) await armExpiry(deps, store.id, expiresAt);
  const items = (input.file_ids ?? []).map((file_id) => ({ file_id, chunking_strategy: input.chunking_strategy }));
  if (items.length > 0) await attachFiles(deps, tx, store.id, items, { paramOf: (i) => `${param}file_ids[${i}]` });
  return store;
}

export async function createVectorStore(deps: Deps, input: VectorStoreCreateInput): Promise<VectorStoreState> {
  const store = await deps.db.$transaction((tx) => createVectorStoreIn(deps, tx, input)).then(deps.owners.made('vector store', deps.projectId));
  return one(deps.db, store);
}

export async function getVectorStore({ db }: Deps, id: string): Promise<VectorStoreState> {
  return one(db, await stores.findVectorStore(db, id));
}

export async function listVectorStores({ db, projectId }: Deps, q: PageQuery) {
  const { items, hasMore } = await stores.pageVectorStores(db, projectId, q);
  return { items: await withFiles(db, items), hasMore };
}

/**
 * Name, metadata and the expiry policy; a new policy counts from `last_active_at` (an expired
 * store stays expired). Dropping the policy ends the store's timer.
 */
export async function updateVectorStore(deps: Deps, id: string, input: VectorStoreUpdateParams): Promise<VectorStoreState> {
  const store = await deps.db.$transaction(async (tx) => {
    const current = await stores.findVectorStore(tx, id);
    const data: Prisma.VectorStoreUpdateInput = {};
    if (input.name !== undefined) data.name = input.name;
    if (input.metadata !== undefined) data.metadata = input.metadata ?? {};
    if (input.expires_after !== undefined) {
      data.expiresAfter = jsonOrDbNull(input.expires_after);
      data.expiresAt = input.expires_after ? current.lastActiveAt + input.expires_after.days * deps.config.vectorStores.daySeconds : null;
    }
    const updated = await stores.updateVectorStore(tx, id, data);
    if (input.expires_after && !updated.expired) await armExpiry(deps, id, updated.expiresAt!);
    return updated;
  });
  if (input.expires_after === null) await terminateIfRunning(deps.temporal, vectorStoreExpiryWorkflowId(id), 'expiry policy removed');
  return one(deps.db, store);
}

/** Its files' rows, their chunks and its batches go with it (the Files stay); ingestions still running find no row and stop. */
export async function deleteVectorStore(deps: Deps, id: string): Promise<void> {
  const deleted = await deps.db.$transaction((tx) => stores.deleteVectorStoreRows(tx, id));
  if (!deleted) throw stores.vectorStoreNotFound(id);
  await terminateIfRunning(deps.temporal, vectorStoreExpiryWorkflowId(id), 'vector store deleted');
}
