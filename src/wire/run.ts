import type { Run } from 'openai/resources/beta/threads/runs/runs';
import type { ReasoningEffort } from 'openai/resources/shared';
import type { RunRecord } from '../db/records.js';

/** The `openai` package's Run lacks `reasoning_effort`, which OpenAI echoes. */
export type WireRun = Run & { reasoning_effort: ReasoningEffort };

export function runToWire(row: RunRecord): WireRun {
  return {
    id: row.id,
    object: 'thread.run',
    created_at: row.createdAt,
    thread_id: row.threadId,
    assistant_id: row.assistantId,
    status: row.status,
    required_action: row.requiredAction,
    last_error: row.lastError,
    expires_at: row.expiresAt,
    started_at: row.startedAt,
    cancelled_at: row.cancelledAt,
    failed_at: row.failedAt,
    completed_at: row.completedAt,
    incomplete_details: row.incompleteDetails,
    usage: row.usage,
    model: row.model,
    instructions: row.instructions ?? '',
    tools: row.tools,
    metadata: row.metadata ?? {},
    temperature: row.temperature ?? 1.0,
    top_p: row.topP ?? 1.0,
    max_prompt_tokens: row.maxPromptTokens,
    max_completion_tokens: row.maxCompletionTokens,
    truncation_strategy: row.truncationStrategy,
    tool_choice: row.toolChoice,
    parallel_tool_calls: row.parallelToolCalls,
    response_format: row.responseFormat,
    reasoning_effort: row.reasoningEffort,
  };
}
