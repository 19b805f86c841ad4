import type { AssistantTool } from 'openai/resources/beta/assistants';
import type { Run, RunStatus } from 'openai/resources/beta/threads/runs/runs';
import type { Run as RunRow } from '../generated/prisma/client.js';
import { metadataOf, responseFormatOf } from './common.js';

export function runToWire(row: RunRow): Run {
  return {
    id: row.id,
    object: 'thread.run',
    created_at: row.createdAt,
    thread_id: row.threadId,
    assistant_id: row.assistantId,
    status: row.status as RunStatus,
    required_action: row.requiredAction as Run['required_action'],
    last_error: row.lastError as Run['last_error'],
    expires_at: row.expiresAt,
    started_at: row.startedAt,
    cancelled_at: row.cancelledAt,
    failed_at: row.failedAt,
    completed_at: row.completedAt,
    incomplete_details: row.incompleteDetails as Run['incomplete_details'],
    usage: row.usage as Run['usage'],
    model: row.model,
    instructions: row.instructions ?? '',
    tools: row.tools as unknown as AssistantTool[],
    metadata: metadataOf(row.metadata),
    temperature: row.temperature ?? 1.0,
    top_p: row.topP ?? 1.0,
    max_prompt_tokens: row.maxPromptTokens,
    max_completion_tokens: row.maxCompletionTokens,
    truncation_strategy: row.truncationStrategy as Run['truncation_strategy'],
    tool_choice: row.toolChoice as Run['tool_choice'],
    parallel_tool_calls: row.parallelToolCalls,
    response_format: responseFormatOf(row.responseFormat),
  };
}
