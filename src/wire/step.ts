import type { RunStep } from 'openai/resources/beta/threads/runs/steps';
import type { StepRecord } from '../db/records.js';

export function stepToWire(row: StepRecord): RunStep {
  return {
    id: row.id,
    object: 'thread.run.step',
    created_at: row.createdAt,
    run_id: row.runId,
    assistant_id: row.assistantId,
    thread_id: row.threadId,
    type: row.type,
    status: row.status,
    step_details: row.stepDetails,
    last_error: row.lastError,
    expired_at: row.expiredAt,
    cancelled_at: row.cancelledAt,
    failed_at: row.failedAt,
    completed_at: row.completedAt,
    metadata: row.metadata ?? {},
    usage: row.usage,
  };
}
