/**
 * The floors (`npm run bench`): the cheapest workflows that still look like a run, on the same
 * Temporal server as ours, bundled on their own. Section a: one no-op activity round trip.
 * Sections c and d: one activity making the same streamed model call as a run does.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { FloorActivities } from './floor-activity.js';

const { noop, streamModel } = proxyActivities<FloorActivities>({ startToCloseTimeout: '10s' });

export async function floorWorkflow(): Promise<void> {
  await noop();
}

export async function floorModelWorkflow(model: string): Promise<void> {
  await streamModel(model);
}
