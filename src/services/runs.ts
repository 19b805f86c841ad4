import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { z } from 'zod';
import { assistantRun, submitToolOutputsUpdate, type QueuedRun, type RunWorkflowInput } from '../../workflows/run.js';
import { columnsOf } from '../db/raw.js';
import { Prisma, type Assistant, type Run, type Thread } from '../generated/prisma/client.js';
import { holdNewRun } from '../db/run-lock.js';
import { publish } from '../events/publish.js';
import { badRequest, notFound } from '../http/errors.js';
import { page, type ListQuery } from '../http/pagination.js';
import { MessageInput, Metadata, normalizeTools, ResponseFormat, Temperature, Tool, TopP } from '../http/schemas.js';
import { prefixedId } from '../http/validation.js';
import { newId } from '../ids.js';
import { transition } from '../db/runs.js';
import { isTerminal } from '../run-status.js';
import { nowSeconds } from '../time.js';
import { runToWire } from '../wire/run.js';
import type { Deps } from './deps.js';
import { jsonOrDbNull, toJson } from './json.js';
import { messageRow } from './messages.js';
import { activeRunOf, insertThread, lockThread, newThreadRows, requireThread, ThreadCreate, type Tx } from './threads.js';

const TokenCap = z.number().int().min(256).nullish();
const ToolChoice = z.union([
  z.enum(['none', 'auto', 'required']),
  z.strictObject({ type: z.literal('function'), function: z.strictObject({ name: z.string() }) }),
  z.strictObject({ type: z.enum(['file_search', 'code_interpreter']) }),
]);
const runFields = {
  assistant_id: prefixedId('asst_'),
  model: z.string().min(1).nullish(),
  instructions: z.string().max(256_000).nullish(),
  tools: z.array(Tool).max(20).nullish(),
  metadata: Metadata.nullish(),
  temperature: Temperature,
  top_p: TopP,
  max_prompt_tokens: TokenCap,
  max_completion_tokens: TokenCap,
  truncation_strategy: z
    .strictObject({ type: z.enum(['auto', 'last_messages']), last_messages: z.number().int().min(1).nullish() })
    .nullish(),
  tool_choice: ToolChoice.nullish(),
  parallel_tool_calls: z.boolean().optional(),
  response_format: ResponseFormat.nullish(),
  stream: z.boolean().nullish(),
};
export const RunCreate = z.strictObject({
  ...runFields,
  additional_instructions: z.string().max(256_000).nullish(),
  additional_messages: z.array(MessageInput).nullish(),
});
export type RunCreate = z.output<typeof RunCreate>;
export const ThreadAndRunCreate = z.strictObject({ ...runFields, thread: ThreadCreate.optional() });
export type ThreadAndRunCreate = z.output<typeof ThreadAndRunCreate>;

export const RunUpdate = z.strictObject({ metadata: Metadata.nullish() });

/** Combined tool outputs must stay under 512 KB (openai-contract.md §3). */
export const ToolOutputsSubmit = z.strictObject({
  tool_outputs: z
    .array(z.strictObject({ tool_call_id: z.string(), output: z.string() }))
    .refine((outs) => Buffer.byteLength(outs.map((o) => o.output).join('')) < 512 * 1024, {
      message: "Invalid 'tool_outputs': the combined outputs must be smaller than 512 KB.",
    }),
  stream: z.boolean().nullish(),
});

/**
 * Creates a run on an existing thread (`additional_messages` first) and starts its workflow.
 * A stream passes the id it already listens on.
 */
export function createRun(deps: Deps, threadId: string, input: RunCreate, runId = newId('run')): Promise<Run> {
  return deps.db.$transaction(async (tx) => {
    await lockThread(tx, threadId);
    const active = await activeRunOf(tx, threadId);
    if (active) throw badRequest(`Thread ${threadId} already has an active run ${active.id}.`);
    const assistant = await assistantOf(tx, input.assistant_id);
    const messages = (input.additional_messages ?? []).map((m) => messageRow(threadId, m));
    const prompt = lastUserText(messages) ?? (await lastUserTextOf(tx, threadId));
    const [run] = await startRun(deps, tx, { runId, threadId, assistant, input, prompt }, async () => {
      if (messages.length) await tx.message.createMany({ data: messages });
    });
    return run;
  });
}

/** `POST /threads/runs`: the thread, its messages and the run, all or nothing. */
export function createThreadAndRun(deps: Deps, input: ThreadAndRunCreate, runId = newId('run')): Promise<{ thread: Thread; run: Run }> {
  return deps.db.$transaction(async (tx) => {
    const assistant = await assistantOf(tx, input.assistant_id);
    const rows = newThreadRows(input.thread ?? {});
    const plan = { runId, threadId: rows.thread.id, assistant, input, prompt: lastUserText(rows.messages) };
    const [run, thread] = await startRun(deps, tx, plan, () => insertThread(tx, rows));
    return { thread, run };
  });
}

interface RunPlan {
  runId: string;
  threadId: string;
  assistant: Assistant;
  input: RunCreate | ThreadAndRunCreate;
  /** The text of the thread's last user message, for the workflow's summary. */
  prompt: string | undefined;
}

// The reads before a workflow starts are raw statements (src/db/raw.ts says why).

async function assistantOf(tx: Tx, id: string): Promise<Assistant> {
  const [assistant] = await tx.$queryRaw<Assistant[]>`SELECT ${columnsOf(Prisma.AssistantScalarFieldEnum)} FROM assistants WHERE id = ${id}`;
  if (!assistant) throw notFound('assistant', id);
  return assistant;
}

async function lastUserTextOf(tx: Tx, threadId: string): Promise<string | undefined> {
  const [last] = await tx.$queryRaw<{ content: unknown }[]>`
    SELECT content FROM messages WHERE thread_id = ${threadId} AND role = 'user' ORDER BY id DESC LIMIT 1`;
  return last && textOf(last.content);
}

function lastUserText(messages: { role: string; content: unknown }[]): string | undefined {
  const last = messages.filter((m) => m.role === 'user').at(-1);
  return last && textOf(last.content);
}

const textOf = (content: unknown) => (content as { type: string; text?: { value: string } }[]).find((p) => p.type === 'text')?.text?.value ?? '';

/**
 * Starts the run's workflow while writing the run (after `writeFirst`: its thread or messages),
 * inside the caller's transaction, which holds the run's lock from before the start
 * (src/db/run-lock.ts): the workflow reads the run once it is committed. If Temporal refuses,
 * nothing is written; if a write fails, the workflow finds no run and ends. Returns the run
 * and what `writeFirst` returned.
 */
async function startRun<T>(deps: Deps, tx: Tx, plan: RunPlan, writeFirst: () => Promise<T>): Promise<[Run, T]> {
  const { runId, threadId, assistant, input } = plan;
  await holdNewRun(tx, runId);
  const createdAt = nowSeconds();
  const expiresAt = createdAt + deps.config.runExpirySeconds;
  const write = (async (): Promise<[Run, T]> => {
    const first = await writeFirst();
    const run = await tx.run.create({
      data: {
        id: runId,
        threadId,
        assistantId: assistant.id,
        createdAt,
        status: 'queued',
        expiresAt,
        model: input.model ?? assistant.model,
        instructions: input.instructions ?? assistant.instructions,
        additionalInstructions: 'additional_instructions' in input ? (input.additional_instructions ?? null) : null,
        tools: toJson(input.tools ? normalizeTools(input.tools) : assistant.tools),
        toolResources: jsonOrDbNull(assistant.toolResources),
        metadata: input.metadata ?? {},
        temperature: input.temperature ?? assistant.temperature,
        topP: input.top_p ?? assistant.topP,
        maxPromptTokens: input.max_prompt_tokens ?? null,
        maxCompletionTokens: input.max_completion_tokens ?? null,
        truncationStrategy: input.truncation_strategy ?? { type: 'auto', last_messages: null },
        toolChoice: input.tool_choice ?? 'auto',
        parallelToolCalls: input.parallel_tool_calls ?? true,
        responseFormat: toJson(input.response_format ?? assistant.responseFormat ?? 'auto'),
      },
    });
    return [run, first];
  })();
  const workflowInput: RunWorkflowInput = { runId, expiresAt, modelAttempts: deps.config.llm.maxAttempts };
  const start = deps.temporal.workflow.start(assistantRun, {
    workflowId: runId,
    taskQueue: deps.config.temporal.taskQueue,
    args: [workflowInput],
    // The API's own worker takes the first workflow task from the start response (API_WORKER).
    requestEagerStart: deps.config.worker.inApi,
    typedSearchAttributes: [
      { key: { name: 'ThreadId', type: 'KEYWORD' }, value: threadId },
      { key: { name: 'AssistantId', type: 'KEYWORD' }, value: assistant.id },
      { key: { name: 'RunStatus', type: 'KEYWORD' }, value: 'queued' },
    ],
    staticSummary: summaryOf(plan),
  });
  // Both settle before the transaction may end: nothing can touch it after its callback returns.
  const [written, started] = await Promise.allSettled([write, start]);
  if (written.status === 'rejected') throw written.reason;
  if (started.status === 'rejected') throw started.reason;
  return written.value;
}

/** What an operator sees for the workflow in the Temporal UI: who, where, and about what. */
function summaryOf({ assistant, threadId, prompt = '' }: RunPlan): string {
  const words = prompt.split(/\s+/).filter(Boolean).slice(0, 12).join(' ');
  return `${assistant.name ?? assistant.id} · ${threadId}${words ? ` · “${words}${prompt.length > words.length ? '…' : ''}”` : ''}`;
}

export async function getRun({ db }: Deps, threadId: string, runId: string): Promise<Run> {
  const run = await db.run.findFirst({ where: { id: runId, threadId } });
  if (!run) throw notFound('run', runId);
  return run;
}

export async function listRuns({ db }: Deps, threadId: string, q: ListQuery) {
  await requireThread(db, threadId);
  return page(q, (args) => db.run.findMany({ ...args, where: { ...args.where, threadId } }));
}

export async function updateRun(deps: Deps, threadId: string, runId: string, input: z.output<typeof RunUpdate>): Promise<Run> {
  await getRun(deps, threadId, runId);
  if (input.metadata === undefined) return getRun(deps, threadId, runId);
  return deps.db.run.update({ where: { id: runId }, data: { metadata: input.metadata ?? {} } });
}

/**
 * Asks the workflow to cancel first, then records `cancelling`: a run is never shown as
 * cancelling unless its workflow has been told. The workflow writes `cancelled`.
 */
export async function cancelRun(deps: Deps, threadId: string, runId: string): Promise<Run> {
  const run = await getRun(deps, threadId, runId);
  if (isTerminal(run.status)) throw badRequest(`Cannot cancel run with status '${run.status}'.`);
  if (run.status === 'cancelling') return run;
  try {
    await deps.temporal.workflow.getHandle(runId).cancel();
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
  return deps.db.$transaction(async (tx) => {
    const row = await transition(tx, runId, 'cancelling');
    if (!row) return tx.run.findUniqueOrThrow({ where: { id: runId } });
    await publish(tx, runId, [{ event: 'thread.run.cancelling', data: runToWire(row) }]);
    return row;
  });
}

/** Checks what Postgres can tell at once; the workflow's validator decides the rest, race-free. */
export async function submitToolOutputs(deps: Deps, threadId: string, runId: string, outputs: z.output<typeof ToolOutputsSubmit>['tool_outputs']): Promise<QueuedRun> {
  const run = await getRun(deps, threadId, runId);
  const refuse = (status: string) => badRequest(`Runs in status "${status}" do not accept tool outputs.`);
  if (run.status !== 'requires_action') throw refuse(run.status);
  try {
    return await deps.temporal.workflow.getHandle(runId).executeUpdate(submitToolOutputsUpdate, { args: [outputs] });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) throw badRequest(err.cause?.message ?? err.message);
    // The workflow ended meanwhile (expired, cancelled): say so in the run's own terms.
    const now = await getRun(deps, threadId, runId);
    if (now.status !== 'requires_action') throw refuse(now.status);
    throw err;
  }
}

export async function getStep({ db }: Deps, threadId: string, runId: string, stepId: string) {
  const step = await db.runStep.findFirst({ where: { id: stepId, runId, threadId } });
  if (!step) throw notFound('run step', stepId);
  return step;
}

export async function listSteps(deps: Deps, threadId: string, runId: string, q: ListQuery) {
  await getRun(deps, threadId, runId);
  return page(q, (args) => deps.db.runStep.findMany({ ...args, where: { ...args.where, runId } }));
}
