import type { Assistant, AssistantDeleted } from 'openai/resources/beta/assistants';
import type { ReasoningEffort } from 'openai/resources/shared';
import type { AssistantRecord } from '../db/records.js';

/** The `openai` package's Assistant lacks `reasoning_effort`, which OpenAI echoes. */
export type WireAssistant = Assistant & { reasoning_effort: ReasoningEffort };

export function assistantToWire(row: AssistantRecord): WireAssistant {
  return {
    id: row.id,
    object: 'assistant',
    created_at: row.createdAt,
    name: row.name,
    description: row.description,
    model: row.model,
    instructions: row.instructions,
    tools: row.tools,
    tool_resources: row.toolResources ?? {},
    metadata: row.metadata ?? {},
    temperature: row.temperature ?? 1.0,
    top_p: row.topP ?? 1.0,
    response_format: row.responseFormat ?? 'auto',
    reasoning_effort: row.reasoningEffort,
  };
}

export const assistantDeleted = (id: string): AssistantDeleted => ({ id, object: 'assistant.deleted', deleted: true });
