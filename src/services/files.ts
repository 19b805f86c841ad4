import type { FileCreateParams, FilePurpose } from 'openai/resources/files';
import { fileNotFound, findFile, insertFile, pageFiles } from '../db/files.js';
import type { PageQuery } from '../db/pagination.js';
import { InvalidInputError, TooLargeError } from '../errors.js';
import { newId } from '../ids.js';
import { terminateIfRunning } from '../temporal.js';
import { nowSeconds } from '../time.js';
import { fileExpiry, fileExpiryWorkflowId, type FileExpiryInput } from '../../workflows/file-expiry.js';
import type { Deps } from './deps.js';
import { fileObjectKey, removeFile } from './file-content.js';

/**
 * The Files API. An upload is two steps because its form fields may arrive after the file
 * itself: `storeUpload` streams the content into S3 as it arrives, then `createFile` makes
 * the file from the validated fields — or, if the request turns out bad, the caller
 * `discardUpload`s the content, so nothing is left half-written.
 */

export interface Upload {
  content: AsyncIterable<Buffer>;
  filename: string;
  contentType: string;
}

export interface StoredUpload {
  id: string;
  objectKey: string;
  bytes: number;
  filename: string;
}

export type FileCreateInput = Omit<FileCreateParams, 'file'>;

export async function storeUpload({ storage, config, projectId }: Deps, upload: Upload): Promise<StoredUpload> {
  const id = newId('file');
  const objectKey = fileObjectKey(projectId, id);
  const max = config.files.maxBytes;
  let bytes = 0;
  // Checked as it streams: S3 never sees an empty file, and a too large one fails on the byte
  // past the limit, its parts so far aborted.
  async function* checked() {
    for await (const chunk of upload.content) {
      bytes += chunk.length;
      if (bytes > max) throw new TooLargeError(`File is too large: the maximum file size is ${max} bytes.`, 'file');
      yield chunk;
    }
    if (bytes === 0) throw new InvalidInputError('The file you uploaded is empty.', 'file', 'empty_file');
  }
  await storage.put(objectKey, checked(), upload.contentType);
  return { id, objectKey, bytes, filename: upload.filename };
}

export function discardUpload({ storage }: Deps, stored: StoredUpload): Promise<void> {
  return storage.remove(stored.objectKey);
}

export function createFile(deps: Deps, stored: StoredUpload, input: FileCreateInput) {
  const createdAt = nowSeconds();
  const expiresAt = input.expires_after ? createdAt + input.expires_after.seconds : null;
  return deps.db.$transaction(async (tx) => {
    const row = await insertFile(tx, {
      id: stored.id,
      projectId: deps.projectId,
      createdAt,
      bytes: stored.bytes,
      filename: stored.filename,
      purpose: input.purpose satisfies FilePurpose,
      // Nothing is processed after upload: a file is ready as soon as it is stored.
      status: 'processed',
      expiresAt,
      objectKey: stored.objectKey,
    });
    // Inside the transaction: a timer that cannot start leaves no file behind.
    if (expiresAt !== null) {
      const args: [FileExpiryInput] = [{ fileId: row.id, expiresAt }];
      await deps.temporal.workflow.start(fileExpiry, { workflowId: fileExpiryWorkflowId(row.id), taskQueue: deps.config.temporal.taskQueue, args });
    }
    return row;
  }).then(deps.owners.made('file', deps.projectId));
}

export function getFile({ db }: Deps, id: string) {
  return findFile(db, id);
}

export function listFiles({ db, projectId }: Deps, q: PageQuery & { purpose?: string | undefined }) {
  return pageFiles(db, projectId, q);
}

/** The content goes with the file, and its expiry timer, if any, is ended. */
export async function deleteFile(deps: Deps, id: string): Promise<void> {
  const file = await removeFile(deps, id);
  if (!file) throw fileNotFound(id);
  if (file.expiresAt !== null) await terminateIfRunning(deps.temporal, fileExpiryWorkflowId(id), 'file deleted');
}
