import { z } from 'zod';
import { Metadata, NewToolResources, ReasoningEffort, ResponseFormat, Temperature, Tool, ToolResources, TopP } from '../schemas.js';

const fields = {
  model: z.string().min(1),
  name: z.string().max(256).nullish(),
  description: z.string().max(512).nullish(),
  instructions: z.string().max(256_000).nullish(),
  tools: z.array(Tool).max(128).optional(),
  tool_resources: ToolResources.nullish(),
  metadata: Metadata.nullish(),
  temperature: Temperature,
  top_p: TopP,
  response_format: ResponseFormat.nullish(),
  reasoning_effort: ReasoningEffort,
};
/** Only a new assistant may make its vector store (`tool_resources.file_search.vector_stores`). */
export const AssistantCreate = z.strictObject({ ...fields, tool_resources: NewToolResources.nullish() });
export const AssistantUpdate = z.strictObject({ ...fields, model: fields.model.optional() });
