/**
 * A vector store's expiry (`expires_after`, anchored at `last_active_at`): one workflow per
 * store with a policy, started with it and restarted when the policy changes. A durable timer
 * until `expires_at`; the activity then reads the store: a store used meanwhile has a later
 * `expires_at`, and the timer is set again for it, so using a store needs no call to Temporal.
 * Deleting the store, or dropping its policy, terminates this. Imports: `@temporalio/workflow`
 * and types only.
 */
import { continueAsNew, proxyActivities, sleep } from '@temporalio/workflow';
import type { VectorStoreActivities } from '../activities/index.js';

export interface VectorStoreExpiryInput {
  vectorStoreId: string;
  /** Unix seconds: when to look next. */
  expiresAt: number;
}

/** One per store, so that a new policy or a delete finds its timer. */
export const vectorStoreExpiryWorkflowId = (vectorStoreId: string) => `vector-store-expiry-${vectorStoreId}`;

const { expireVectorStore } = proxyActivities<VectorStoreActivities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

/** Each wake-up adds a timer and an activity to the history: start afresh now and then. */
const WAKES_PER_RUN = 100;

export async function vectorStoreExpiry({ vectorStoreId, expiresAt }: VectorStoreExpiryInput): Promise<void> {
  let next: number | null = expiresAt;
  for (let wakes = 0; next !== null; wakes++) {
    if (wakes === WAKES_PER_RUN) await continueAsNew<typeof vectorStoreExpiry>({ vectorStoreId, expiresAt: next });
    // Workflow time: a replay sleeps only for what is left.
    await sleep(Math.max(0, next * 1000 - Date.now()));
    next = await expireVectorStore(vectorStoreId);
  }
}
