import type { FileDeleted, FileObject, FilePurpose } from 'openai/resources/files';
import type { File as FileRow } from '../generated/prisma/client.js';

/**
 * OpenAI's file object. `expires_at` and `status_details` are always sent, null when unset,
 * and `status` too: the Node SDK's `files.waitForProcessing` polls on it. Uploads may use
 * `evals`, which the SDK's FileObject type does not list.
 */
export type WireFile = Omit<FileObject, 'expires_at' | 'status_details' | 'purpose'> & {
  purpose: FileObject['purpose'] | FilePurpose;
  expires_at: number | null;
  status_details: string | null;
};

export function fileToWire(row: FileRow): WireFile {
  return {
    id: row.id,
    object: 'file',
    bytes: row.bytes,
    created_at: row.createdAt,
    expires_at: row.expiresAt,
    filename: row.filename,
    purpose: row.purpose as WireFile['purpose'],
    status: row.status as FileObject['status'],
    status_details: row.statusDetails,
  };
}

export const fileDeleted = (id: string): FileDeleted => ({ id, object: 'file', deleted: true });
