/**
 * A file's ingestion into a vector store: one workflow per vector-store file, started by the
 * request that attached it, on the ingestion task queue (its own worker slots, so a batch of
 * files never takes the ones runs need). The activity reads the file, extracts its text,
 * chunks and embeds it, and publishes the chunks with the file's `completed` status in one
 * transaction, or records why the file cannot be indexed; only ids pass through history. A
 * worker that dies mid-ingest stops heartbeating, and the activity is retried on another,
 * whose publish replaces anything written before. After its last attempt the file is `failed`
 * (`server_error`). Imports: `@temporalio/workflow` and types only.
 */
import { isCancellation, proxyActivities } from '@temporalio/workflow';
import type { IngestActivities, IngestOutcome, IngestRef } from '../activities/index.js';

/** One per file in a store: detaching the file finds it. */
export const ingestWorkflowId = ({ vectorStoreId, fileId }: IngestRef) => `ingest-${vectorStoreId}-${fileId}`;

const { ingestFile } = proxyActivities<IngestActivities>({
  // A file of millions of tokens takes long to embed; a dead worker is found by its heartbeat.
  startToCloseTimeout: '4h',
  heartbeatTimeout: '15s',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 5 },
});

const { failIngest } = proxyActivities<IngestActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

export async function vectorStoreFileIngest(ref: IngestRef): Promise<IngestOutcome> {
  try {
    return await ingestFile(ref);
  } catch (err) {
    if (isCancellation(err)) throw err;
    await failIngest(ref);
    return 'failed';
  }
}
