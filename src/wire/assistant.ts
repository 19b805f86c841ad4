import type { Assistant, AssistantDeleted, AssistantTool } from 'openai/resources/beta/assistants';
import type { ReasoningEffort } from 'openai/resources/shared';
import type { Assistant as AssistantRow } from '../generated/prisma/client.js';
import { metadataOf, responseFormatOf } from './common.js';

/** The `openai` package's Assistant lacks `reasoning_effort`, which OpenAI echoes. */
export type WireAssistant = Assistant & { reasoning_effort: ReasoningEffort };

export function assistantToWire(row: AssistantRow): WireAssistant {
  return {
    id: row.id,
    object: 'assistant',
    created_at: row.createdAt,
    name: row.name,
    description: row.description,
    model: row.model,
    instructions: row.instructions,
    tools: row.tools as unknown as AssistantTool[],
    tool_resources: (row.toolResources ?? {}) as Assistant['tool_resources'],
    metadata: metadataOf(row.metadata),
    temperature: row.temperature ?? 1.0,
    top_p: row.topP ?? 1.0,
    response_format: responseFormatOf(row.responseFormat),
    reasoning_effort: row.reasoningEffort as ReasoningEffort,
  };
}

export const assistantDeleted = (id: string): AssistantDeleted => ({ id, object: 'assistant.deleted', deleted: true });
