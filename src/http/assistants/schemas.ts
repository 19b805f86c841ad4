import { z } from 'zod';
import { Metadata, ReasoningEffort, ResponseFormat, Temperature, Tool, ToolResources, TopP } from '../schemas.js';

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
export const AssistantCreate = z.strictObject(fields);
export const AssistantUpdate = z.strictObject({ ...fields, model: fields.model.optional() });
