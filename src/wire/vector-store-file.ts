import type { FileContentResponse, VectorStoreFile, VectorStoreFileDeleted } from 'openai/resources/vector-stores/files';
import type { VectorStoreFileRecord } from '../db/records.js';

/** OpenAI's vector-store file: its id is the file's; `last_error`, `chunking_strategy` and `attributes` always sent. */
export function vectorStoreFileToWire(row: VectorStoreFileRecord): VectorStoreFile {
  return {
    id: row.fileId,
    object: 'vector_store.file',
    usage_bytes: row.usageBytes,
    created_at: row.createdAt,
    vector_store_id: row.vectorStoreId,
    status: row.status,
    last_error: row.lastError,
    chunking_strategy: row.chunkingStrategy,
    attributes: row.attributes ?? {},
  };
}

export const vectorStoreFileDeleted = (id: string): VectorStoreFileDeleted => ({ id, object: 'vector_store.file.deleted', deleted: true });

/** `GET …/files/{id}/content`: a page the SDK reads only `data` of, the file's text whole. */
export interface FileContentPage {
  object: 'vector_store.file_content.page';
  data: FileContentResponse[];
  has_more: false;
  next_page: null;
}

export function fileContentPage(text: string | null): FileContentPage {
  return { object: 'vector_store.file_content.page', data: text === null ? [] : [{ type: 'text', text }], has_more: false, next_page: null };
}
