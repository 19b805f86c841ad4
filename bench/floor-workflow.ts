/**
 * The throughput floor (`npm run bench`, section a): the cheapest workflow that still looks like
 * a run — one activity round trip — on the same Temporal server as ours. Bundled on its own.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { FloorActivities } from './floor-activity.js';

const { noop } = proxyActivities<FloorActivities>({ startToCloseTimeout: '10s' });

export async function floorWorkflow(): Promise<void> {
  await noop();
}
