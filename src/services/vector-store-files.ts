import type { FileBatchCreateParams } from 'openai/resources/vector-stores/file-batches';
import type { FileCreateParams, FileListParams } from 'openai/resources/vector-stores/files';
import { ingestWorkflowId, vectorStoreFileIngest } from '../../workflows/ingest.js';
import type { Tx } from '../db/client.js';
import { toJson } from '../db/json.js';
import type { PageQuery } from '../db/pagination.js';
import type { FileAttributes, VectorStoreFileBatchRecord, VectorStoreFileRecord } from '../db/records.js';
import * as files from '../db/vector-store-files.js';
import { findVectorStore, touchVectorStore, vectorStoreExpired } from '../db/vector-stores.js';
import { NotFoundError } from '../errors.js';
import { newId } from '../ids.js';
import { chunkingOf } from '../ingest/chunking.js';
import { extractText } from '../ingest/extract.js';
import { terminateIfRunning } from '../temporal.js';
import { nowSeconds } from '../time.js';
import type { Deps } from './deps.js';
import { readFileBytes } from './file-content.js';

/**
 * Files in vector stores, and batches of them. Attaching a file writes its row `in_progress`
 * and starts its ingestion workflow (workflows/ingest.ts) in the same transaction; the
 * workflow publishes its chunks and `completed`, or `failed` with why.
 */

/** One file to attach, with its own attributes and chunking (a batch's `files` entry). */
export type FileToAttach = FileBatchCreateParams.File;

/** Workflow starts in flight at once while a request attaches many files. */
const STARTS_AT_ONCE = 16;

/** The store, if files may be added to it and it may be searched: it exists and has not expired. */
export async function usableStore(db: Tx, id: string) {
  const store = await findVectorStore(db, id);
  if (store.expired) throw vectorStoreExpired(id);
  return store;
}

/**
 * Attaches files to a store in the caller's transaction and starts their ingestions. Every
 * file must exist (`paramOf` names the field of each, for the 404); a file given twice counts
 * once, and a file already in the store keeps its row as it is. Returns the rows of `items`,
 * in their order.
 */
export async function attachFiles(
  deps: Deps,
  tx: Tx,
  vectorStoreId: string,
  items: FileToAttach[],
  opts: { batchId?: string; paramOf: (index: number) => string },
): Promise<VectorStoreFileRecord[]> {
  const byId = new Map<string, FileToAttach>();
  for (const item of items) if (!byId.has(item.file_id)) byId.set(item.file_id, item);
  const ids = [...byId.keys()];
  const found = new Set((await tx.file.findMany({ where: { id: { in: ids }, projectId: deps.projectId }, select: { id: true } })).map((f) => f.id));
  const missing = items.findIndex((item) => !found.has(item.file_id));
  if (missing >= 0) {
    const id = items[missing]!.file_id;
    throw new NotFoundError('file', id, `No file found with id '${id}'.`, opts.paramOf(missing));
  }
  await files.holdNewStoreFiles(tx, vectorStoreId);
  const createdAt = nowSeconds();
  const inserted = await files.insertStoreFiles(
    tx,
    [...byId.values()].map((item) => ({
      vectorStoreId,
      fileId: item.file_id,
      createdAt,
      status: 'in_progress',
      chunkingStrategy: toJson(chunkingOf(item.chunking_strategy)),
      attributes: item.attributes ?? {},
      batchId: opts.batchId ?? null,
    })),
  );
  for (let from = 0; from < inserted.length; from += STARTS_AT_ONCE) {
    await Promise.all(inserted.slice(from, from + STARTS_AT_ONCE).map((row) => startIngestion(deps, row)));
  }
  if (inserted.length > 0) deps.log.info({ vector_store_id: vectorStoreId, batch_id: opts.batchId, files: inserted.length }, 'ingesting files');
  await touchVectorStore(tx, vectorStoreId, createdAt);
  const rows = new Map(inserted.map((r) => [r.fileId, r]));
  const kept = ids.filter((id) => !rows.has(id));
  for (const row of await files.storeFilesOf(tx, vectorStoreId, kept)) rows.set(row.fileId, row);
  return ids.map((id) => rows.get(id)!);
}

/**
 * Only for a row just inserted: a workflow still running under its id belongs to an earlier
 * row for the same file, since deleted, and is ended.
 */
function startIngestion(deps: Deps, row: VectorStoreFileRecord) {
  const ref = { vectorStoreId: row.vectorStoreId, fileId: row.fileId };
  return deps.temporal.workflow.start(vectorStoreFileIngest, {
    workflowId: ingestWorkflowId(ref),
    taskQueue: deps.config.temporal.ingestTaskQueue,
    args: [ref],
    workflowIdConflictPolicy: 'TERMINATE_EXISTING',
    staticSummary: `${ref.vectorStoreId} · ${ref.fileId}`,
  });
}

export function createStoreFile(deps: Deps, vectorStoreId: string, input: FileCreateParams): Promise<VectorStoreFileRecord> {
  return deps.db.$transaction(async (tx) => {
    await usableStore(tx, vectorStoreId);
    const [row] = await attachFiles(deps, tx, vectorStoreId, [input], { paramOf: () => 'file_id' });
    return row!;
  });
}

export async function getStoreFile({ db }: Deps, vectorStoreId: string, fileId: string): Promise<VectorStoreFileRecord> {
  await findVectorStore(db, vectorStoreId);
  return files.findStoreFile(db, vectorStoreId, fileId);
}

export type StoreFileListQuery = PageQuery & { filter?: FileListParams['filter'] };

export async function listStoreFiles({ db }: Deps, vectorStoreId: string, q: StoreFileListQuery) {
  await findVectorStore(db, vectorStoreId);
  return files.pageStoreFiles(db, { vectorStoreId, status: q.filter }, q);
}

export async function updateStoreFile({ db }: Deps, vectorStoreId: string, fileId: string, attributes: FileAttributes | null): Promise<VectorStoreFileRecord> {
  await findVectorStore(db, vectorStoreId);
  return files.setStoreFileAttributes(db, vectorStoreId, fileId, attributes ?? {});
}

/** Detaches the file: its row and chunks go, the File stays; an ingestion in flight is ended. */
export async function deleteStoreFile(deps: Deps, vectorStoreId: string, fileId: string): Promise<void> {
  const deleted = await deps.db.$transaction(async (tx) => {
    await findVectorStore(tx, vectorStoreId);
    return files.deleteStoreFileRows(tx, vectorStoreId, fileId);
  });
  if (!deleted) throw files.storeFileNotFound(vectorStoreId, fileId);
  await terminateIfRunning(deps.temporal, ingestWorkflowId({ vectorStoreId, fileId }), 'file detached from its vector store');
}

/**
 * The text of a file as it was indexed: parsed again from the File, the same way (files are
 * parsed deterministically, and the File lives as long as it is in a store). Null until the
 * file is `completed`.
 */
export async function storeFileText(deps: Deps, vectorStoreId: string, fileId: string): Promise<string | null> {
  const row = await getStoreFile(deps, vectorStoreId, fileId);
  if (row.status !== 'completed') return null;
  const file = await deps.db.file.findUniqueOrThrow({ where: { id: fileId }, select: { filename: true } });
  return extractText(file.filename, await readFileBytes(deps, fileId));
}

/** A batch and the counts of its files, which its wire status is read from. */
export interface BatchState {
  batch: VectorStoreFileBatchRecord;
  counts: files.FileCounts;
}

async function batchState(db: Tx, batch: BatchState['batch']): Promise<BatchState> {
  const summary = await files.summarizeFiles(db, 'batchId', [batch.id]);
  return { batch, counts: summary.get(batch.id)!.counts };
}

/**
 * `file_ids` with one `attributes` and `chunking_strategy` for all, or `files` each with its
 * own (the top-level ones are then ignored, as OpenAI documents).
 */
export async function createBatch(deps: Deps, vectorStoreId: string, input: FileBatchCreateParams): Promise<BatchState> {
  const items: FileToAttach[] = input.files ?? (input.file_ids ?? []).map((file_id) => ({ file_id, attributes: input.attributes, chunking_strategy: input.chunking_strategy }));
  const paramOf = input.files ? (i: number) => `files[${i}].file_id` : (i: number) => `file_ids[${i}]`;
  return deps.db.$transaction(async (tx) => {
    await usableStore(tx, vectorStoreId);
    const batch = await files.insertBatch(tx, { id: newId('fileBatch'), vectorStoreId, createdAt: nowSeconds(), status: 'in_progress' });
    await attachFiles(deps, tx, vectorStoreId, items, { batchId: batch.id, paramOf });
    return batchState(tx, batch);
  });
}

export async function getBatch({ db }: Deps, vectorStoreId: string, batchId: string): Promise<BatchState> {
  await findVectorStore(db, vectorStoreId);
  return batchState(db, await files.findBatch(db, vectorStoreId, batchId));
}

/** Its files still in progress become `cancelled`; their ingestions stop at their next step. */
export function cancelBatch(deps: Deps, vectorStoreId: string, batchId: string): Promise<BatchState> {
  return deps.db.$transaction(async (tx) => {
    await findVectorStore(tx, vectorStoreId);
    const batch = await files.cancelBatchFiles(tx, await files.findBatch(tx, vectorStoreId, batchId));
    return batchState(tx, batch);
  });
}

export async function listBatchFiles({ db }: Deps, vectorStoreId: string, batchId: string, q: StoreFileListQuery) {
  await findVectorStore(db, vectorStoreId);
  await files.findBatch(db, vectorStoreId, batchId);
  return files.pageStoreFiles(db, { vectorStoreId, batchId, status: q.filter }, q);
}
