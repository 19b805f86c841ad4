import { InvalidInputError, NotFoundError } from '../errors.js';
import type { Prisma } from '../generated/prisma/client.js';
import { nowSeconds } from '../time.js';
import type { Tx } from './client.js';
import { page, type PageQuery } from './pagination.js';
import { asVectorStore, type VectorStoreRecord } from './records.js';
import { deleteChunks } from '../retrieval/chunks.js';

/**
 * The `vector_stores` table. A store's own state is its name, metadata and expiry; what it
 * holds (file counts, bytes, whether it is still indexing) is read from its files
 * (src/db/vector-store-files.ts). Lookups by id throw NotFoundError when there is no such row.
 */

export const vectorStoreNotFound = (id: string) => new NotFoundError('vector store', id);

/** An expired store can be read, listed and deleted, but not searched or given files. */
export const vectorStoreExpired = (id: string, param: string | null = null) =>
  new InvalidInputError(`Vector store '${id}' has expired and can no longer be used.`, param, 'vector_store_expired');

export async function insertVectorStore(tx: Tx, data: Prisma.VectorStoreCreateInput): Promise<VectorStoreRecord> {
  return asVectorStore(await tx.vectorStore.create({ data }));
}

export async function findVectorStore(db: Tx, id: string): Promise<VectorStoreRecord> {
  const row = await db.vectorStore.findUnique({ where: { id } });
  if (!row) throw vectorStoreNotFound(id);
  return asVectorStore(row);
}

/** The stores of `ids` that exist and the project owns, for checking references (tool_resources). */
export async function vectorStoresByIds(db: Tx, projectId: string, ids: string[]): Promise<VectorStoreRecord[]> {
  return (await db.vectorStore.findMany({ where: { id: { in: ids }, projectId } })).map(asVectorStore);
}

export async function pageVectorStores(db: Tx, projectId: string, q: PageQuery) {
  const { items, hasMore } = await page(q, (args) => db.vectorStore.findMany({ ...args, where: { ...args.where, projectId } }));
  return { items: items.map(asVectorStore), hasMore };
}

export async function updateVectorStore(db: Tx, id: string, data: Prisma.VectorStoreUpdateInput): Promise<VectorStoreRecord> {
  return asVectorStore(await db.vectorStore.update({ where: { id }, data }));
}

/** The store and everything in it: its files' rows, their chunks, its batches. Whether there was one. */
export async function deleteVectorStoreRows(tx: Tx, id: string): Promise<boolean> {
  await deleteChunks(tx, { vectorStoreId: id });
  await tx.vectorStoreFile.deleteMany({ where: { vectorStoreId: id } });
  await tx.vectorStoreFileBatch.deleteMany({ where: { vectorStoreId: id } });
  const { count } = await tx.vectorStore.deleteMany({ where: { id } });
  return count > 0;
}

/**
 * Marks the store used now (a search, a run, files added): `last_active_at` moves, and with
 * it `expires_at`, by as much, so the policy's length needs no lookup. The expiry workflow
 * finds the later `expires_at` when its timer fires.
 */
export async function touchVectorStore(db: Tx, id: string, now = nowSeconds()): Promise<void> {
  await db.$executeRaw`
    UPDATE vector_stores SET expires_at = expires_at + (${now} - last_active_at), last_active_at = ${now}
    WHERE id = ${id} AND last_active_at < ${now} AND NOT expired`;
}

/**
 * The expiry workflow's check: expires the store if it is due and returns null, or returns
 * when to look again (it was used since). Null too for a store that is gone, expired or
 * without a policy.
 */
export async function expireIfDue(db: Tx, id: string, now = nowSeconds()): Promise<number | null> {
  const expired = await db.$executeRaw`UPDATE vector_stores SET expired = true WHERE id = ${id} AND NOT expired AND expires_at <= ${now}`;
  if (expired > 0) return null;
  const row = await db.vectorStore.findUnique({ where: { id }, select: { expiresAt: true, expired: true } });
  return row && !row.expired ? row.expiresAt : null;
}
