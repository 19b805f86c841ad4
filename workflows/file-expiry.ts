/**
 * A file's expiry (`expires_after`): one workflow per expiring file, started with the file.
 * A durable timer until `expires_at`, then an activity deletes the row and the S3 object, so
 * a file expires on time even if no API or worker was up in between. Deleting the file
 * earlier terminates it. Imports: `@temporalio/workflow` and types only.
 */
import { proxyActivities, sleep } from '@temporalio/workflow';
import type { FileActivities } from '../activities/index.js';

export interface FileExpiryInput {
  fileId: string;
  /** Unix seconds. */
  expiresAt: number;
}

/** One per file, so that deleting the file finds its timer. */
export const fileExpiryWorkflowId = (fileId: string) => `file-expiry-${fileId}`;

const { expireFile } = proxyActivities<FileActivities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

export async function fileExpiry({ fileId, expiresAt }: FileExpiryInput): Promise<void> {
  // Workflow time: a replay sleeps only for what is left.
  await sleep(Math.max(0, expiresAt * 1000 - Date.now()));
  await expireFile(fileId);
}
