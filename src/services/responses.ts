import { WorkflowNotFoundError } from '@temporalio/client';
import type { InputTokenCountParams } from 'openai/resources/responses/input-tokens';
import type { ResponseCreateParamsBase, ResponseInputItem, Tool } from 'openai/resources/responses/responses';
import type { AssistantTool } from 'openai/resources/beta/assistants';
import { RESPONSE_SERVER_TOOLS } from '../../activities/tools/registry.js';
import { responseRun, type ResponseWorkflowInput } from '../../workflows/response.js';
import { allItems, appendItems } from '../db/conversation-items.js';
import { fileById, type findFile } from '../db/files.js';
import { vectorStoreExpired, vectorStoresByIds } from '../db/vector-stores.js';
import { pageInOrder, type PageQuery } from '../db/pagination.js';
import * as responses from '../db/responses.js';
import { holdNewRun } from '../db/run-lock.js';
import { lockThread } from '../db/threads.js';
import { InvalidInputError, NotFoundError } from '../errors.js';
import { newId, threadIdOf } from '../ids.js';
import { nowSeconds } from '../time.js';
import { lifecycleEvent, numbered } from '../wire/response-events.js';
import { responseToWire } from '../wire/response.js';
import type { Deps } from './deps.js';
import { requireRunSlot } from './limits.js';
import { startedWithWrite } from './workflow-start.js';

/** What `POST /responses` takes: the create params without `stream` (the transport's concern). */
export type ResponseInput = Omit<ResponseCreateParamsBase, 'stream'>;

/**
 * Creates a response and starts its workflow (eagerly, as a run's), writing its input into
 * its conversation and publishing `response.created` as sequence 0 in the same transaction;
 * a stream passes the id it already listens on. Returns the response as created.
 */
export function createResponse(deps: Deps, input: ResponseInput, id = newId('response')): Promise<responses.ResponseRecord> {
  const tools = assistantToolsOf(input.tools ?? []);
  if (input.background && input.store === false) throw new InvalidInputError('Background mode requires store to be true.', 'background');
  if (input.conversation && input.previous_response_id) {
    throw new InvalidInputError("Mutually exclusive parameters: Ensure you are only providing one of: 'previous_response_id' or 'conversation'.", 'conversation');
  }
  return deps.db.$transaction(async (tx) => {
    await checkToolFiles(tx, deps.projectId, input.tools ?? []);
    await holdNewRun(tx, id);
    const conversation = typeof input.conversation === 'string' ? input.conversation : input.conversation?.id;
    const threadId = conversation ? threadIdOf(conversation) : null;
    if (threadId) {
      await deps.owners.require(deps.projectId, 'conversation', conversation!);
      await lockThread(tx, threadId).catch(rename('conversation', conversation!));
    }
    if (input.previous_response_id) {
      await deps.owners.require(deps.projectId, 'response', input.previous_response_id);
      await responses.findResponse(tx, input.previous_response_id).catch(rename('response', input.previous_response_id));
    }
    await requireRunSlot(deps, tx);
    const items = inputItemsOf(input.input ?? []);
    const createdAt = nowSeconds();
    const write = (async () => {
      const row = await responses.insertResponse(tx, {
        id,
        projectId: deps.projectId,
        createdAt,
        status: input.background ? 'queued' : 'in_progress',
        background: input.background ?? false,
        store: input.store ?? true,
        model: input.model!,
        instructions: typeof input.instructions === 'string' ? input.instructions : null,
        conversationId: threadId,
        previousResponseId: input.previous_response_id ?? null,
        request: echoed(input) as object,
        tools: tools as object[],
        input: items as object[],
      });
      if (threadId) await appendItems(tx, threadId, items as never[], createdAt);
      await responses.appendEvents(tx, id, numbered([lifecycleEvent('created', responseToWire(row))], 0));
      return row;
    })();
    const workflowInput: ResponseWorkflowInput = { responseId: id, modelAttempts: deps.config.llm.maxAttempts };
    const start = deps.temporal.workflow.start(responseRun, {
      workflowId: id,
      taskQueue: deps.config.temporal.taskQueue,
      args: [workflowInput],
      requestEagerStart: deps.config.worker.inApi,
      typedSearchAttributes: [{ key: { name: 'ProjectId', type: 'KEYWORD' }, value: deps.projectId }],
      staticSummary: `response · ${input.model}${threadId ? ` · ${threadId}` : ''}`,
    });
    return startedWithWrite(write, start);
  }).then(deps.owners.made('response', deps.projectId));
}

/** A missing conversation or previous response is named as the request named it. */
const rename = (resource: string, id: string) => (err: unknown) => {
  throw err instanceof NotFoundError ? new NotFoundError(resource, id) : err;
};

/**
 * The tools as the registry reads them (the Assistants shape): functions, and the server tools
 * that have a Responses side (activities/tools/registry.ts); the others are refused. A
 * container is always `auto` here: this server has no Containers API, so no container id to name.
 */
function assistantToolsOf(tools: Tool[]): AssistantTool[] {
  return tools.map((t, i): AssistantTool => {
    if (t.type === 'function') return { type: 'function', function: { name: t.name, description: t.description ?? undefined, parameters: t.parameters ?? undefined, strict: t.strict } };
    if ((t.type !== 'file_search' && t.type !== 'code_interpreter') || !RESPONSE_SERVER_TOOLS.has(t.type)) {
      throw new InvalidInputError(`The '${t.type}' tool is not available on this server yet.`, `tools[${i}].type`, 'unsupported_value');
    }
    if (t.type === 'code_interpreter' && typeof t.container === 'string') {
      throw new InvalidInputError(
        "Containers are not available on this server: use container: {type: 'auto', file_ids: [...]}; a response reuses the container of the earlier code_interpreter calls it sees.",
        `tools[${i}].container`,
        'unsupported_value',
      );
    }
    return { type: t.type };
  });
}

/**
 * Every file a code_interpreter container names must exist, and every store a file_search
 * tool names must exist and not have expired, before anything is written.
 */
async function checkToolFiles(tx: Parameters<typeof findFile>[0], projectId: string, tools: Tool[]): Promise<void> {
  for (const [i, t] of tools.entries()) {
    if (t.type === 'file_search') {
      const found = new Map((await vectorStoresByIds(tx, projectId, t.vector_store_ids)).map((s) => [s.id, s]));
      for (const [j, id] of t.vector_store_ids.entries()) {
        const param = `tools[${i}].vector_store_ids[${j}]`;
        const store = found.get(id);
        if (!store) throw new NotFoundError('vector store', id, undefined, param);
        if (store.expired) throw vectorStoreExpired(id, param);
      }
    }
    if (t.type !== 'code_interpreter' || typeof t.container === 'string') continue;
    for (const [j, fileId] of (t.container.file_ids ?? []).entries()) {
      if ((await fileById(tx, fileId))?.projectId !== projectId) throw new InvalidInputError(`No file found with id '${fileId}'.`, `tools[${i}].container.file_ids[${j}]`);
    }
  }
}

/** The input as stored items, each with an id of its own. */
function inputItemsOf(input: string | ResponseInputItem[]): responses.StoredInputItem[] {
  const items: ResponseInputItem[] = typeof input === 'string' ? [{ type: 'message', role: 'user', content: input }] : input;
  return items.map((item) => {
    const type = 'type' in item && item.type ? item.type : 'message';
    if (type !== 'message') return { ...item, id: newId('functionCall'), status: 'completed' } as responses.StoredInputItem;
    const m = item as { role: string; content: unknown; phase?: string | null };
    const content = typeof m.content === 'string' ? [m.role === 'assistant' ? { type: 'output_text', text: m.content, annotations: [] } : { type: 'input_text', text: m.content }] : m.content;
    return { type: 'message', id: newId('message'), role: m.role, status: 'completed', content, ...(m.phase && { phase: m.phase }) } as responses.StoredInputItem;
  });
}

/** The request fields the wire echoes, with OpenAI's defaults. */
function echoed(input: ResponseInput): responses.EchoedRequest {
  return {
    tools: (input.tools ?? []).map(echoedTool),
    tool_choice: input.tool_choice ?? 'auto',
    parallel_tool_calls: input.parallel_tool_calls ?? true,
    temperature: input.temperature ?? null,
    top_p: input.top_p ?? null,
    max_output_tokens: input.max_output_tokens ?? null,
    max_tool_calls: input.max_tool_calls ?? null,
    text: { format: (input.text?.format ?? { type: 'text' }) as Record<string, unknown> },
    reasoning: (input.reasoning ?? null) as Record<string, unknown> | null,
    truncation: input.truncation ?? 'disabled',
    metadata: (input.metadata ?? {}) as Record<string, string>,
    user: input.user ?? null,
    safety_identifier: input.safety_identifier ?? null,
    prompt_cache_key: input.prompt_cache_key ?? null,
    include: input.include ?? [],
  };
}

/** A tool as the response shows it, with OpenAI's defaults filled in. */
function echoedTool(t: Tool): Tool {
  if (t.type === 'function') return { ...t, description: t.description ?? null, strict: t.strict ?? true };
  if (t.type === 'file_search') {
    return { ...t, filters: t.filters ?? null, max_num_results: t.max_num_results ?? 20, ranking_options: { ranker: 'auto', score_threshold: 0, ...t.ranking_options } };
  }
  return t;
}

export const getResponse = ({ db }: Deps, id: string) => responses.findResponse(db, id);

/** Stored events after `after`, for a background response's stream resumed from there. */
export async function eventsOf({ db }: Deps, id: string, after: number) {
  const response = await responses.findResponse(db, id);
  if (!response.background) throw new InvalidInputError('Only background responses can be streamed again.', 'stream');
  return { response, events: await responses.eventsAfter(db, id, after) };
}

/** Only a background response can be cancelled; the workflow writes `cancelled` and the call waits for it. */
export async function cancelResponse(deps: Deps, id: string): Promise<responses.ResponseRecord> {
  const response = await responses.findResponse(deps.db, id);
  if (!response.background) throw new InvalidInputError('Only responses created with background=true can be cancelled.', null);
  if (!(responses.ACTIVE_RESPONSE_STATUSES as readonly string[]).includes(response.status)) return response;
  const handle = deps.temporal.workflow.getHandle(id);
  try {
    await handle.cancel();
    await handle.result().catch(() => undefined);
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
  return responses.findResponse(deps.db, id);
}

/** A response still working is stopped first, so no workflow writes to a response that is gone. */
export async function deleteResponse(deps: Deps, id: string): Promise<void> {
  const response = await responses.findResponse(deps.db, id);
  if ((responses.ACTIVE_RESPONSE_STATUSES as readonly string[]).includes(response.status)) {
    await deps.temporal.workflow
      .getHandle(id)
      .terminate('response deleted')
      .catch((err: unknown) => {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      });
  }
  await responses.deleteResponse(deps.db, id);
}

export async function listInputItems({ db }: Deps, id: string, q: PageQuery) {
  return pageInOrder((await responses.findResponse(db, id)).input, q);
}

/**
 * `POST /responses/input_tokens`: an estimate (about four characters a token, as OpenAI's
 * rule of thumb has it), since the model servers behind us expose no tokenizer.
 */
export async function countInputTokens({ db, owners, projectId }: Deps, input: InputTokenCountParams): Promise<number> {
  const parts: unknown[] = [input.instructions ?? '', input.input ?? '', ...(input.tools ? [input.tools] : [])];
  if (input.previous_response_id) {
    await owners.require(projectId, 'response', input.previous_response_id, 'previous_response_id');
    for (const r of await responses.responseChain(db, input.previous_response_id)) parts.push(r.input, r.output);
  }
  const conversation = typeof input.conversation === 'string' ? input.conversation : input.conversation?.id;
  if (conversation) {
    await owners.require(projectId, 'conversation', conversation, 'conversation');
    parts.push(await allItems(db, threadIdOf(conversation)));
  }
  const text = parts.map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join('');
  return Math.ceil(text.length / 4);
}
