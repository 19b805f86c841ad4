import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { deleteFileRow, fileById, findFile, insertFile } from '../db/files.js';
import { removeFileFromStores } from '../db/vector-store-files.js';
import type { File } from '../generated/prisma/client.js';
import { newId } from '../ids.js';
import { nowSeconds } from '../time.js';
import type { Deps } from './deps.js';

/**
 * A file's content in S3, by file id: for the content endpoint, and for the worker's
 * activities (file expiry, vector-store ingestion, the code interpreter), which have a
 * database and the object store but none of the API's other dependencies.
 */
export type FileStore = Pick<Deps, 'db' | 'storage'>;

export interface FileContent {
  file: File;
  body: Readable;
  contentType: string;
  bytes: number;
}

/** Where a file's content is in the bucket: under its project, so a project's objects can be found (and removed) together. */
export const fileObjectKey = (projectId: string, fileId: string) => `projects/${projectId}/files/${fileId}`;

/** The file's row and its content as a stream; NotFoundError if there is no such file. */
export async function openFileContent({ db, storage }: FileStore, id: string): Promise<FileContent> {
  const file = await findFile(db, id);
  return { file, ...(await storage.get(file.objectKey)) };
}

/** The whole content in memory, for a consumer that needs all of it at once (a parser). */
export async function readFileBytes(store: FileStore, id: string): Promise<Buffer> {
  return buffer((await openFileContent(store, id)).body);
}

/**
 * Removes the file's object, then its row, and returns the row (null if there was none); the
 * file leaves every vector store with its row (their rows and chunks). The object goes first
 * so that a retry after a failure between the two still finds the row, and with it the
 * object's key.
 */
export async function removeFile({ db, storage }: FileStore, id: string): Promise<File | null> {
  const file = await fileById(db, id);
  if (!file) return null;
  await storage.remove(file.objectKey);
  const deleted = await db.$transaction(async (tx) => {
    await removeFileFromStores(tx, id);
    return deleteFileRow(tx, id);
  });
  return deleted ? file : null;
}

/**
 * A file the server made (the code interpreter's outputs, purpose `assistants_output`): its
 * content is in memory already, and it is `processed` at once like an upload (src/services/files.ts).
 */
export async function storeFile(
  { db, storage }: FileStore,
  file: { projectId: string; filename: string; purpose: string; contentType: string; bytes: Buffer },
): Promise<File> {
  const id = newId('file');
  const objectKey = fileObjectKey(file.projectId, id);
  await storage.put(objectKey, [file.bytes], file.contentType);
  return insertFile(db, { id, projectId: file.projectId, createdAt: nowSeconds(), bytes: file.bytes.length, filename: file.filename, purpose: file.purpose, status: 'processed', objectKey });
}
