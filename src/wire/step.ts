import type { RunStep } from 'openai/resources/beta/threads/runs/steps';
import type { RunStep as RunStepRow } from '../generated/prisma/client.js';
import { metadataOf } from './common.js';

export function stepToWire(row: RunStepRow): RunStep {
  return {
    id: row.id,
    object: 'thread.run.step',
    created_at: row.createdAt,
    run_id: row.runId,
    assistant_id: row.assistantId,
    thread_id: row.threadId,
    type: row.type as RunStep['type'],
    status: row.status as RunStep['status'],
    step_details: row.stepDetails as unknown as RunStep['step_details'],
    last_error: row.lastError as RunStep['last_error'],
    expired_at: row.expiredAt,
    cancelled_at: row.cancelledAt,
    failed_at: row.failedAt,
    completed_at: row.completedAt,
    metadata: metadataOf(row.metadata),
    usage: row.usage as RunStep['usage'],
  };
}
