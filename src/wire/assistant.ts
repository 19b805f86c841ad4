import type { Assistant, AssistantDeleted, AssistantTool } from 'openai/resources/beta/assistants';
import type { Assistant as AssistantRow } from '../generated/prisma/client.js';
import { metadataOf, responseFormatOf } from './common.js';

export function assistantToWire(row: AssistantRow): Assistant {
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
  };
}

export const assistantDeleted = (id: string): AssistantDeleted => ({ id, object: 'assistant.deleted', deleted: true });
