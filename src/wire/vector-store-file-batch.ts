import type { VectorStoreFileBatch } from 'openai/resources/vector-stores/file-batches';
import type { VectorStoreFileBatchRecord } from '../db/records.js';
import type { FileCounts } from '../db/vector-store-files.js';

/**
 * OpenAI's file batch, its status read from its files: `cancelled` once cancelled while some
 * were in progress, else `in_progress` while any is, `failed` if every one failed, `completed`.
 */
export function fileBatchToWire(row: VectorStoreFileBatchRecord, counts: FileCounts): VectorStoreFileBatch {
  return {
    id: row.id,
    object: 'vector_store.files_batch',
    created_at: row.createdAt,
    vector_store_id: row.vectorStoreId,
    status: statusOf(row, counts),
    file_counts: counts,
  };
}

function statusOf(row: VectorStoreFileBatchRecord, counts: FileCounts): VectorStoreFileBatch['status'] {
  if (row.status === 'cancelled') return 'cancelled';
  if (counts.in_progress > 0) return 'in_progress';
  return counts.total > 0 && counts.failed === counts.total ? 'failed' : 'completed';
}
