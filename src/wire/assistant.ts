import type { Assistant, AssistantDeleted } from 'openai/resources/beta/assistants';
import type { AssistantRecord } from '../db/records.js';

export function assistantToWire(row: AssistantRecord): Assistant {
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
  };
}

export const assistantDeleted = (id: string): AssistantDeleted => ({ id, object: 'assistant.deleted', deleted: true });
