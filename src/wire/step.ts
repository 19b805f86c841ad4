import type { RunStep, ToolCall } from 'openai/resources/beta/threads/runs/steps';
import type { StepRecord, StoredToolCall } from '../db/records.js';

export interface StepView {
  /** `include[]=step_details.tool_calls[*].file_search.results[*].content`: the text of each result. */
  resultContent?: boolean;
}

/**
 * A stored call as the wire shows it. A file_search call keeps the model's query beside
 * OpenAI's shape (activities/tools/file-search.ts), which is dropped here, and its results'
 * text appears only when asked for, as OpenAI's does.
 */
function callToWire(call: StoredToolCall, view: StepView): ToolCall {
  if (call.type !== 'file_search') return call;
  const { ranking_options, results } = call.file_search;
  return {
    id: call.id,
    type: 'file_search',
    file_search: {
      ...(ranking_options && { ranking_options }),
      ...(results && { results: view.resultContent ? results : results.map(({ content: _, ...r }) => r) }),
    },
  };
}

export function stepToWire(row: StepRecord, view: StepView = {}): RunStep {
  const details = row.stepDetails;
  return {
    id: row.id,
    object: 'thread.run.step',
    created_at: row.createdAt,
    run_id: row.runId,
    assistant_id: row.assistantId,
    thread_id: row.threadId,
    type: row.type,
    status: row.status,
    step_details: details.type === 'tool_calls' ? { type: 'tool_calls', tool_calls: details.tool_calls.map((c) => callToWire(c, view)) } : details,
    last_error: row.lastError,
    expired_at: row.expiredAt,
    cancelled_at: row.cancelledAt,
    failed_at: row.failedAt,
    completed_at: row.completedAt,
    metadata: row.metadata ?? {},
    usage: row.usage,
  };
}
