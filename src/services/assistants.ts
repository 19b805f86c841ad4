import type { AssistantCreateParams, AssistantUpdateParams } from 'openai/resources/beta/assistants';
import * as assistants from '../db/assistants.js';
import { jsonOrDbNull, toJson } from '../db/json.js';
import type { PageQuery } from '../db/pagination.js';
import type { Prisma } from '../generated/prisma/client.js';
import { newId } from '../ids.js';
import { nowSeconds } from '../time.js';
import type { Deps } from './deps.js';
import { resolveToolResources } from './tool-resources.js';
import { normalizeTools } from './tools.js';

/** A `file_search.vector_stores` helper's store is made with the assistant, all or nothing. */
export function createAssistant(deps: Deps, input: AssistantCreateParams) {
  return deps.db.$transaction(async (tx) =>
    assistants.insertAssistant(tx, {
      id: newId('assistant'),
      projectId: deps.projectId,
      createdAt: nowSeconds(),
      model: input.model,
      name: input.name ?? null,
      description: input.description ?? null,
      instructions: input.instructions ?? null,
      tools: toJson(normalizeTools(input.tools ?? [])),
      toolResources: jsonOrDbNull(await resolveToolResources(deps, tx, input.tool_resources)),
      metadata: input.metadata ?? {},
      temperature: input.temperature ?? null,
      topP: input.top_p ?? null,
      responseFormat: jsonOrDbNull(input.response_format),
      reasoningEffort: input.reasoning_effort ?? null,
    }),
  ).then(deps.owners.made('assistant', deps.projectId));
}

export function getAssistant({ db }: Deps, id: string) {
  return assistants.findAssistant(db, id);
}

export function listAssistants({ db, projectId }: Deps, q: PageQuery) {
  return assistants.pageAssistants(db, projectId, q);
}

/** Only the fields present change; an explicit null clears a nullable one. */
export async function updateAssistant(deps: Deps, id: string, input: AssistantUpdateParams) {
  const { db } = deps;
  await assistants.findAssistant(db, id);
  const data: Prisma.AssistantUpdateInput = {};
  if (input.model !== undefined) data.model = input.model;
  if (input.name !== undefined) data.name = input.name;
  if (input.description !== undefined) data.description = input.description;
  if (input.instructions !== undefined) data.instructions = input.instructions;
  if (input.tools !== undefined) data.tools = toJson(normalizeTools(input.tools));
  if (input.tool_resources !== undefined) data.toolResources = jsonOrDbNull(await resolveToolResources(deps, db, input.tool_resources));
  if (input.metadata !== undefined) data.metadata = input.metadata ?? {};
  if (input.temperature !== undefined) data.temperature = input.temperature;
  if (input.top_p !== undefined) data.topP = input.top_p;
  if (input.response_format !== undefined) data.responseFormat = jsonOrDbNull(input.response_format);
  if (input.reasoning_effort !== undefined) data.reasoningEffort = input.reasoning_effort;
  return assistants.updateAssistant(db, id, data);
}

export function deleteAssistant({ db }: Deps, id: string) {
  return assistants.deleteAssistant(db, id);
}
