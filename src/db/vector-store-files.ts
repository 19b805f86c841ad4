import { NotFoundError } from '../errors.js';
import type { Prisma } from '../generated/prisma/client.js';
import { deleteChunks, replaceChunks, type ChunkInput } from '../retrieval/chunks.js';
import type { Db, Tx } from './client.js';
import { page, type PageQuery } from './pagination.js';
import {
  asVectorStoreFile,
  asVectorStoreFileBatch,
  type FileAttributes,
  type VectorStoreFileBatchRecord,
  type VectorStoreFileError,
  type VectorStoreFileRecord,
  type VectorStoreFileStatus,
} from './records.js';
import { awaitNewRun, holdNewRun } from './run-lock.js';

/**
 * The `vector_store_files` and `vector_store_file_batches` tables. A file's row is keyed by
 * its store and its file id (on the wire its id is the file's); its status only ever leaves
 * `in_progress`, and the writes that move it are conditional on it, so an ingestion that lost
 * a race with a cancel, a detach or a delete changes nothing.
 */

export const storeFileNotFound = (vectorStoreId: string, fileId: string) =>
  new NotFoundError('file', fileId, `No file found with id '${fileId}' in vector store '${vectorStoreId}'.`);

export const batchNotFound = (vectorStoreId: string, batchId: string) =>
  new NotFoundError('file batch', batchId, `No file batch found with id '${batchId}' in vector store '${vectorStoreId}'.`);

/**
 * Ingestion workflows start inside the transaction that adds their files (the files' and
 * the workflows' fates are one): the transaction holds this lock on the store, and an
 * ingestion waits for it before reading its row (src/db/run-lock.ts, as runs do).
 */
export const holdNewStoreFiles = (tx: Tx, vectorStoreId: string) => holdNewRun(tx, vectorStoreId);
export const awaitNewStoreFiles = (db: Db, vectorStoreId: string) => awaitNewRun(db, vectorStoreId);

/** Rows for files not yet in their store; a file already there keeps its row. Returns the rows written. */
export async function insertStoreFiles(tx: Tx, rows: Prisma.VectorStoreFileCreateManyInput[]): Promise<VectorStoreFileRecord[]> {
  return (await tx.vectorStoreFile.createManyAndReturn({ data: rows, skipDuplicates: true })).map(asVectorStoreFile);
}

export async function storeFilesOf(db: Tx, vectorStoreId: string, fileIds: string[]): Promise<VectorStoreFileRecord[]> {
  return (await db.vectorStoreFile.findMany({ where: { vectorStoreId, fileId: { in: fileIds } } })).map(asVectorStoreFile);
}

export async function findStoreFile(db: Tx, vectorStoreId: string, fileId: string): Promise<VectorStoreFileRecord> {
  const row = await db.vectorStoreFile.findUnique({ where: { vectorStoreId_fileId: { vectorStoreId, fileId } } });
  if (!row) throw storeFileNotFound(vectorStoreId, fileId);
  return asVectorStoreFile(row);
}

export interface StoreFileFilter {
  vectorStoreId: string;
  batchId?: string;
  status?: VectorStoreFileStatus | undefined;
}

/**
 * A store's (or a batch's) files, paged by file id: ids are time-ordered, so a cursor needs no
 * lookup and outlives its row, and files attached as they are uploaded list in attach order.
 */
export async function pageStoreFiles(db: Tx, where: StoreFileFilter, q: PageQuery) {
  const { items, hasMore } = await page(q, async ({ where: { id }, orderBy, take }) => {
    const rows = await db.vectorStoreFile.findMany({ where: { ...where, fileId: id }, orderBy: { fileId: orderBy.id }, take });
    return rows.map((row) => ({ id: row.fileId, row }));
  });
  return { items: items.map(({ row }) => asVectorStoreFile(row)), hasMore };
}

export async function setStoreFileAttributes(db: Tx, vectorStoreId: string, fileId: string, attributes: FileAttributes): Promise<VectorStoreFileRecord> {
  const [row] = await db.vectorStoreFile.updateManyAndReturn({ where: { vectorStoreId, fileId }, data: { attributes } });
  if (!row) throw storeFileNotFound(vectorStoreId, fileId);
  return asVectorStoreFile(row);
}

/** The file's row and its chunks in one store; whether there was a row. */
export async function deleteStoreFileRows(tx: Tx, vectorStoreId: string, fileId: string): Promise<boolean> {
  await deleteChunks(tx, { vectorStoreId, fileId });
  const { count } = await tx.vectorStoreFile.deleteMany({ where: { vectorStoreId, fileId } });
  return count > 0;
}

/** A deleted file leaves every store it was in, chunks and all. */
export async function removeFileFromStores(tx: Tx, fileId: string): Promise<void> {
  await deleteChunks(tx, { fileId });
  await tx.vectorStoreFile.deleteMany({ where: { fileId } });
}

export interface FileCounts {
  in_progress: number;
  completed: number;
  failed: number;
  cancelled: number;
  total: number;
}

export interface FilesSummary {
  counts: FileCounts;
  /** What the files' chunks take: their text and their embeddings. */
  usageBytes: number;
}

const emptySummary = (): FilesSummary => ({ counts: { in_progress: 0, completed: 0, failed: 0, cancelled: 0, total: 0 }, usageBytes: 0 });

/** Counts by status and bytes of the files of each store (or batch) in `ids`; every id gets one. */
export async function summarizeFiles(db: Tx, by: 'vectorStoreId' | 'batchId', ids: string[]): Promise<Map<string, FilesSummary>> {
  const groups = await db.vectorStoreFile.groupBy({ by: [by, 'status'], where: { [by]: { in: ids } }, _count: { _all: true }, _sum: { usageBytes: true } });
  const out = new Map(ids.map((id) => [id, emptySummary()]));
  for (const g of groups) {
    const summary = out.get(g[by]!)!;
    summary.counts[g.status as VectorStoreFileStatus] += g._count._all;
    summary.counts.total += g._count._all;
    summary.usageBytes += g._sum.usageBytes ?? 0;
  }
  return out;
}

export async function insertBatch(tx: Tx, data: Prisma.VectorStoreFileBatchCreateInput): Promise<VectorStoreFileBatchRecord> {
  return asVectorStoreFileBatch(await tx.vectorStoreFileBatch.create({ data }));
}

export async function findBatch(db: Tx, vectorStoreId: string, batchId: string): Promise<VectorStoreFileBatchRecord> {
  const row = await db.vectorStoreFileBatch.findFirst({ where: { id: batchId, vectorStoreId } });
  if (!row) throw batchNotFound(vectorStoreId, batchId);
  return asVectorStoreFileBatch(row);
}

/**
 * Stops the batch's files still in progress (their ingestions see it before their next step,
 * and their publish, conditional on `in_progress`, would change nothing); a batch with none
 * left is not changed. Returns the batch as it is now.
 */
export async function cancelBatchFiles(tx: Tx, batch: VectorStoreFileBatchRecord): Promise<VectorStoreFileBatchRecord> {
  const { count } = await tx.vectorStoreFile.updateMany({ where: { batchId: batch.id, status: 'in_progress' }, data: { status: 'cancelled' } });
  if (count === 0) return batch;
  return asVectorStoreFileBatch(await tx.vectorStoreFileBatch.update({ where: { id: batch.id }, data: { status: 'cancelled' } }));
}

/** What an ingestion needs to know before it starts: null when the file is not (or no longer) to be ingested. */
export async function pendingIngestion(db: Tx, vectorStoreId: string, fileId: string) {
  const row = await db.vectorStoreFile.findUnique({ where: { vectorStoreId_fileId: { vectorStoreId, fileId } } });
  return row?.status === 'in_progress' ? asVectorStoreFile(row) : null;
}

/**
 * Publishes a file's chunks and marks it `completed`, in the caller's transaction, unless it
 * left `in_progress` meanwhile (cancelled, detached, deleted): then nothing is written.
 * Whether it was published.
 */
export async function publishChunks(tx: Tx, vectorStoreId: string, fileId: string, chunks: ChunkInput[], usageBytes: number): Promise<boolean> {
  const { count } = await tx.vectorStoreFile.updateMany({
    where: { vectorStoreId, fileId, status: 'in_progress' },
    data: { status: 'completed', usageBytes },
  });
  if (count === 0) return false;
  await replaceChunks(tx, vectorStoreId, fileId, chunks);
  return true;
}

/** Marks a file in progress `failed` with why; a file that left `in_progress` is left alone. */
export async function failStoreFile(db: Tx, vectorStoreId: string, fileId: string, error: VectorStoreFileError): Promise<void> {
  await db.vectorStoreFile.updateMany({ where: { vectorStoreId, fileId, status: 'in_progress' }, data: { status: 'failed', lastError: { ...error } } });
}
