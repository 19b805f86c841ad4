import type { VectorStore, VectorStoreDeleted } from 'openai/resources/vector-stores/vector-stores';
import type { FilesSummary } from '../db/vector-store-files.js';
import type { VectorStoreRecord } from '../db/records.js';

/**
 * OpenAI's vector store (openai-contract.md §7): `in_progress` while any file is, `expired`
 * once its policy ran out. `expires_after` is left out when there is no policy (`expires_at`
 * is null then); `name` is a string on the wire, empty when none was given.
 */
export function vectorStoreToWire(row: VectorStoreRecord, { counts, usageBytes }: FilesSummary): VectorStore {
  return {
    id: row.id,
    object: 'vector_store',
    created_at: row.createdAt,
    name: row.name ?? '',
    usage_bytes: usageBytes,
    file_counts: counts,
    status: row.expired ? 'expired' : counts.in_progress > 0 ? 'in_progress' : 'completed',
    ...(row.expiresAfter ? { expires_after: row.expiresAfter } : {}),
    expires_at: row.expiresAt,
    last_active_at: row.lastActiveAt,
    metadata: row.metadata ?? {},
  };
}

export const vectorStoreDeleted = (id: string): VectorStoreDeleted => ({ id, object: 'vector_store.deleted', deleted: true });
