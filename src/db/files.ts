import { NotFoundError } from '../errors.js';
import type { File, Prisma } from '../generated/prisma/client.js';
import type { Tx } from './client.js';
import { page, type PageQuery } from './pagination.js';

/** The `files` table: one row per uploaded file; its content is the S3 object `objectKey`. */

/** The Files API's own wording (openai-contract.md §5). */
export const fileNotFound = (id: string) => new NotFoundError('file', id, `No such File object: ${id}`, 'id');

export function insertFile(db: Tx, data: Prisma.FileCreateInput): Promise<File> {
  return db.file.create({ data });
}

export function fileById(db: Tx, id: string): Promise<File | null> {
  return db.file.findUnique({ where: { id } });
}

export async function findFile(db: Tx, id: string): Promise<File> {
  const row = await fileById(db, id);
  if (!row) throw fileNotFound(id);
  return row;
}

export function pageFiles(db: Tx, projectId: string, q: PageQuery & { purpose?: string | undefined }) {
  return page(q, (args) => db.file.findMany({ ...args, where: { ...args.where, projectId, purpose: q.purpose } }));
}

/** Whether there was a row to delete. */
export async function deleteFileRow(db: Tx, id: string): Promise<boolean> {
  const { count } = await db.file.deleteMany({ where: { id } });
  return count > 0;
}
