import { z } from 'zod';
import { Prisma } from '../generated/prisma/client.js';
import { notFound } from '../http/errors.js';
import { page, type ListQuery } from '../http/pagination.js';
import { Metadata, normalizeTools, ResponseFormat, Temperature, Tool, ToolResources, TopP } from '../http/schemas.js';
import { newId } from '../ids.js';
import { nowSeconds } from '../time.js';
import { jsonOrDbNull, toJson } from './json.js';
import type { Deps } from './deps.js';

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
};
export const AssistantCreate = z.strictObject(fields);
export const AssistantUpdate = z.strictObject({ ...fields, model: fields.model.optional() });

export async function createAssistant({ db }: Deps, input: z.output<typeof AssistantCreate>) {
  return db.assistant.create({
    data: {
      id: newId('assistant'),
      createdAt: nowSeconds(),
      model: input.model,
      name: input.name ?? null,
      description: input.description ?? null,
      instructions: input.instructions ?? null,
      tools: toJson(normalizeTools(input.tools ?? [])),
      toolResources: jsonOrDbNull(input.tool_resources),
      metadata: input.metadata ?? {},
      temperature: input.temperature ?? null,
      topP: input.top_p ?? null,
      responseFormat: jsonOrDbNull(input.response_format),
    },
  });
}

export async function getAssistant({ db }: Deps, id: string) {
  const row = await db.assistant.findUnique({ where: { id } });
  if (!row) throw notFound('assistant', id);
  return row;
}

export function listAssistants({ db }: Deps, q: ListQuery) {
  return page(q, (args) => db.assistant.findMany(args));
}

/** Only the fields present change; an explicit null clears a nullable one. */
export async function updateAssistant(deps: Deps, id: string, input: z.output<typeof AssistantUpdate>) {
  await getAssistant(deps, id);
  const data: Prisma.AssistantUpdateInput = {};
  if (input.model !== undefined) data.model = input.model;
  if (input.name !== undefined) data.name = input.name;
  if (input.description !== undefined) data.description = input.description;
  if (input.instructions !== undefined) data.instructions = input.instructions;
  if (input.tools !== undefined) data.tools = toJson(normalizeTools(input.tools));
  if (input.tool_resources !== undefined) data.toolResources = jsonOrDbNull(input.tool_resources);
  if (input.metadata !== undefined) data.metadata = input.metadata ?? {};
  if (input.temperature !== undefined) data.temperature = input.temperature;
  if (input.top_p !== undefined) data.topP = input.top_p;
  if (input.response_format !== undefined) data.responseFormat = jsonOrDbNull(input.response_format);
  return deps.db.assistant.update({ where: { id }, data });
}

export async function deleteAssistant({ db }: Deps, id: string) {
  const { count } = await db.assistant.deleteMany({ where: { id } });
  if (count === 0) throw notFound('assistant', id);
}
