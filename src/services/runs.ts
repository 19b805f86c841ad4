import { ApplicationFailure, WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { createHash } from 'node:crypto';
import type { AssistantTool } from 'openai/resources/beta/assistants';
import type { RunCreateParamsBase, RunUpdateParams } from 'openai/resources/beta/threads/runs/runs';
import type { ThreadCreateAndRunParamsBase } from 'openai/resources/beta/threads/threads';
import type { ToolOutput } from '../../activities/index.js';
import { assistantRun, submitToolOutputsUpdate, TOOL_OUTPUTS_REFUSED, type QueuedRun, type RunWorkflowInput } from '../../workflows/run.js';
import { assistantForRun } from '../db/assistants.js';
import type { Tx } from '../db/client.js';
import { insertMessages, messageRow } from '../db/messages.js';
import type { PageQuery } from '../db/pagination.js';
import { holdNewRun } from '../db/run-lock.js';
import * as runs from '../db/runs.js';
import { insertThread, lockThread, newThreadRows, requireThread } from '../db/threads.js';
import { ConflictError, InvalidInputError, NotFoundError, UnavailableError } from '../errors.js';
import { publish } from '../events/publish.js';
import type { AssistantRecord, RunRecord, ThreadRecord } from '../db/records.js';
import { newId } from '../ids.js';
import { isTerminal } from '../run-status.js';
import { nowSeconds } from '../time.js';
import { runEvent } from '../wire/stream-events.js';
import { attachForFileSearch } from './attachments.js';
import type { Deps } from './deps.js';
import { requireRunSlot } from './limits.js';
import { resolveToolResources, THREAD_STORE_EXPIRY } from './tool-resources.js';
import { normalizeTools } from './tools.js';
import { startedWithWrite } from './workflow-start.js';

/** The body of a run update (the thread comes from the path). */
export type RunChanges = Omit<RunUpdateParams, 'thread_id'>;

/**
 * Creates a run on an existing thread (`additional_messages` first) and starts its workflow.
 * A stream passes the id it already listens on.
 */
export function createRun(deps: Deps, threadId: string, input: RunCreateParamsBase, runId = newId('run')): Promise<RunRecord> {
  // Read beside the transaction, on a connection of its own: the assistant needs no lock, and
  // the read is on the way to the run's start. A missing thread is still reported first.
  const assistant = assistantForRun(deps.db, deps.projectId, input.assistant_id);
  assistant.catch(() => {});
  return deps.db.$transaction(async (tx) => {
    await lockThread(tx, threadId, runId);
    await requireRunSlot(deps, tx);
    const plan = { runId, threadId, assistant: await assistant, input };
    const messages = (input.additional_messages ?? []).map((m) => messageRow(threadId, m));
    const [run] = await startRun(deps, tx, plan, async () => {
      await insertMessages(tx, messages);
      await attachForFileSearch(deps, tx, threadId, input.additional_messages ?? [], (j, i) => `additional_messages[${j}].attachments[${i}].file_id`);
    });
    return run;
  });
}

/** `POST /threads/runs`: the thread, its messages and the run, all or nothing. */
export function createThreadAndRun(deps: Deps, input: ThreadCreateAndRunParamsBase, runId = newId('run')): Promise<{ thread: ThreadRecord; run: RunRecord }> {
  return deps.db.$transaction(async (tx) => {
    await holdNewRun(tx, runId);
    await requireRunSlot(deps, tx);
    const assistant = await assistantForRun(tx, deps.projectId, input.assistant_id);
    // The top-level `tool_resources` are the new thread's, unless the thread brings its own.
    const given = input.thread ?? {};
    const toolResources = await resolveToolResources(deps, tx, given.tool_resources ?? input.tool_resources, THREAD_STORE_EXPIRY);
    const rows = newThreadRows(deps.projectId, { ...given, tool_resources: toolResources });
    const plan = { runId, threadId: rows.thread.id, assistant, input };
    const [run, thread] = await startRun(deps, tx, plan, async () => {
      const inserted = await insertThread(tx, rows);
      return (await attachForFileSearch(deps, tx, inserted.id, given.messages ?? [], (j, i) => `thread.messages[${j}].attachments[${i}].file_id`)) ?? inserted;
    });
    return { thread, run };
  }).then((made) => ({ ...made, thread: deps.owners.made('thread', deps.projectId)(made.thread) }));
}

/** The thread's active run kept the new one out (`insertRun`): OpenAI's 400, naming it. */
async function activeRunConflict(tx: Tx, threadId: string): Promise<ConflictError> {
  // It may have ended since the insert looked; the thread had one all the same.
  const active = await runs.activeRunOf(tx, threadId);
  return new ConflictError(`Thread ${threadId} already has an active run${active ? ` ${active.id}` : ''}.`);
}

interface RunPlan {
  runId: string;
  threadId: string;
  assistant: AssistantRecord;
  input: RunCreateParamsBase | ThreadCreateAndRunParamsBase;
}

/**
 * Starts the run's workflow while writing the run (after `writeFirst`: its thread or messages),
 * inside the caller's transaction, which must already hold the run's lock (src/db/run-lock.ts):
 * the workflow reads the run once it is committed. If Temporal refuses, nothing is written; if
 * a write fails — or the thread has an active run, which the run's insert checks, so that no
 * read of its own stands before the start — the workflow finds no run and ends. Returns the
 * run and what `writeFirst` returned.
 */
async function startRun<T>(deps: Deps, tx: Tx, plan: RunPlan, writeFirst: () => Promise<T>): Promise<[RunRecord, T]> {
  const { runId, threadId, assistant, input } = plan;
  const tools = input.tools ? normalizeTools(input.tools) : (assistant.tools as unknown as AssistantTool[]);
  requireChosenTool(input.tool_choice, tools);
  const createdAt = nowSeconds();
  const expiresAt = createdAt + deps.config.runExpirySeconds;
  const write = (async (): Promise<[RunRecord, T]> => {
    const first = await writeFirst();
    const run = await runs.insertRun(tx, {
      id: runId,
      projectId: deps.projectId,
      threadId,
      assistantId: assistant.id,
      createdAt,
      status: 'queued',
      expiresAt,
      model: input.model ?? assistant.model,
      instructions: input.instructions ?? assistant.instructions,
      additionalInstructions: 'additional_instructions' in input ? (input.additional_instructions ?? null) : null,
      tools,
      toolResources: assistant.toolResources ?? null,
      metadata: input.metadata ?? {},
      temperature: input.temperature ?? assistant.temperature,
      topP: input.top_p ?? assistant.topP,
      maxPromptTokens: input.max_prompt_tokens ?? null,
      maxCompletionTokens: input.max_completion_tokens ?? null,
      truncationStrategy: input.truncation_strategy ?? { type: 'auto', last_messages: null },
      toolChoice: input.tool_choice ?? 'auto',
      parallelToolCalls: input.parallel_tool_calls ?? true,
      responseFormat: input.response_format ?? assistant.responseFormat ?? 'auto',
      reasoningEffort: ('reasoning_effort' in input ? input.reasoning_effort : null) ?? assistant.reasoningEffort,
    });
    if (!run) throw await activeRunConflict(tx, threadId);
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
      { key: { name: 'ProjectId', type: 'KEYWORD' }, value: deps.projectId },
      { key: { name: 'ThreadId', type: 'KEYWORD' }, value: threadId },
      { key: { name: 'AssistantId', type: 'KEYWORD' }, value: assistant.id },
      { key: { name: 'RunStatus', type: 'KEYWORD' }, value: 'queued' },
    ],
    staticSummary: summaryOf(plan),
  });
  return startedWithWrite(write, start);
}

/** A `tool_choice` naming a function must name one of the run's tools, as OpenAI checks. */
function requireChosenTool(choice: RunPlan['input']['tool_choice'], tools: AssistantTool[]): void {
  if (typeof choice !== 'object' || choice === null || choice.type !== 'function' || !choice.function) return;
  const name = choice.function.name;
  if (tools.some((t) => t.type === 'function' && t.function.name === name)) return;
  throw new InvalidInputError(`Invalid value for 'tool_choice': function '${name}' was not found in 'tools'.`, 'tool_choice', 'invalid_value');
}

/**
 * What an operator sees for the workflow in the Temporal UI: ids only. Temporal keeps a
 * closed workflow for its namespace's retention, after the thread is deleted: no user text
 * (not even the assistant's name) goes there.
 */
function summaryOf({ assistant, threadId }: RunPlan): string {
  return `${assistant.id} · ${threadId}`;
}

export function getRun({ db }: Deps, threadId: string, runId: string): Promise<RunRecord> {
  return runs.findRun(db, threadId, runId);
}

export async function listRuns({ db }: Deps, threadId: string, q: PageQuery) {
  await requireThread(db, threadId);
  return runs.pageRuns(db, threadId, q);
}

export async function updateRun({ db }: Deps, threadId: string, runId: string, input: RunChanges): Promise<RunRecord> {
  const run = await runs.findRun(db, threadId, runId);
  if (input.metadata === undefined) return run;
  return runs.setRunMetadata(db, runId, input.metadata ?? {});
}

/**
 * Asks the workflow to cancel first, then records `cancelling`: a run is never shown as
 * cancelling unless its workflow has been told. The workflow writes `cancelled`.
 */
export async function cancelRun(deps: Deps, threadId: string, runId: string): Promise<RunRecord> {
  const run = await getRun(deps, threadId, runId);
  if (isTerminal(run.status)) throw new ConflictError(`Cannot cancel run with status '${run.status}'.`);
  if (run.status === 'cancelling') return run;
  try {
    await deps.temporal.workflow.getHandle(runId).cancel();
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
  return deps.db.$transaction(async (tx) => {
    const row = await runs.transition(tx, runId, 'cancelling');
    if (row) {
      await publish(tx, runId, [runEvent('cancelling', row)]);
      return row;
    }
    const current = await runs.runById(tx, runId);
    if (!current) throw new NotFoundError('run', runId);
    return current;
  });
}

/**
 * Checks what Postgres can tell at once; the workflow's validator decides the rest, race-free.
 * The update's id is the submission's own hash, so a retried request (the SDKs retry a 503)
 * joins the first one's update instead of making a second. The wait for a worker to take it
 * is bounded (SUBMIT_WAIT_MS): past it the answer is a 503, and the update, still pending in
 * Temporal, is either taken by a worker before the run expires or refused by the workflow.
 */
export async function submitToolOutputs(deps: Deps, threadId: string, runId: string, outputs: ToolOutput[]): Promise<QueuedRun> {
  const run = await getRun(deps, threadId, runId);
  const refuse = (status: string) => new ConflictError(`Runs in status "${status}" do not accept tool outputs.`);
  if (run.status !== 'requires_action') throw refuse(run.status);
  let queued: QueuedRun;
  try {
    const handle = deps.temporal.workflow.getHandle(runId);
    queued = await deps.temporal.withDeadline(Date.now() + deps.config.submitWaitMs, () =>
      handle.executeUpdate(submitToolOutputsUpdate, { args: [outputs], updateId: submissionId(outputs) }),
    );
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && err.cause.type === TOOL_OUTPUTS_REFUSED) {
      throw new InvalidInputError(err.cause.message);
    }
    // The workflow ended or is being cancelled meanwhile: say so in the run's own terms.
    const now = await getRun(deps, threadId, runId);
    if (now.status !== 'requires_action') throw refuse(now.status);
    if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
      deps.log.warn({ run_id: runId, wait_ms: deps.config.submitWaitMs }, 'no worker took the tool outputs in time');
      throw new UnavailableError('The run could not take the tool outputs right now. Please retry your request.');
    }
    throw err;
  }
  // A cancel that came first leaves the run `cancelling`: the outputs change nothing then.
  if (queued.status !== 'queued') throw refuse(queued.status);
  return queued;
}

/** The same outputs for the same calls are the same submission (call ids are unique per run). */
function submissionId(outputs: ToolOutput[]): string {
  const sorted = [...outputs].sort((a, b) => (a.tool_call_id < b.tool_call_id ? -1 : a.tool_call_id > b.tool_call_id ? 1 : 0));
  return `submit-${createHash('sha256').update(JSON.stringify(sorted)).digest('hex')}`;
}

export function getStep({ db }: Deps, threadId: string, runId: string, stepId: string) {
  return runs.findStep(db, threadId, runId, stepId);
}

export async function listSteps({ db }: Deps, threadId: string, runId: string, q: PageQuery) {
  await runs.findRun(db, threadId, runId);
  return runs.pageSteps(db, runId, q);
}
