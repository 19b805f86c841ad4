import type { Metadata } from 'openai/resources/shared';
import { NotFoundError } from '../errors.js';
import { notifying } from '../events/publish.js';
import { Prisma, type Message as MessageRow, type Run as RunRow, type RunStep as RunStepRow } from '../generated/prisma/client.js';
import { ACTIVE_STATUSES, sourcesOf, type RunOutcome, type RunStatus } from '../run-status.js';
import { nowSeconds } from '../time.js';
import type { StreamEvent } from '../wire/stream-events.js';
import type { Db, Tx } from './client.js';
import { MESSAGE_COLUMNS } from './messages.js';
import { page, type PageQuery } from './pagination.js';
import { columnsOf, insertInto, jsonb, setList, writes } from './raw.js';
import { asMessage, asRun, asStep, zeroUsage, type ClosedRun, type MessageRecord, type RunRecord, type StepDetails, type StepRecord, type StoredToolCall, type Usage } from './records.js';

/**
 * The `runs` and `run_steps` tables (and the messages a run writes): every statement on them.
 * API lookups by id throw NotFoundError when there is no such row. Statements on a run's path
 * to its first token and its end are raw (src/db/raw.ts says why); each takes the `Db` or the
 * transaction it runs in.
 */

type Sql = Pick<Db, '$queryRaw' | '$executeRaw'> | Tx;
type Fields<Row> = Partial<Record<keyof Row, unknown>>;

const RUN_COLUMNS = columnsOf(Prisma.RunScalarFieldEnum);
const STEP_COLUMNS = columnsOf(Prisma.RunStepScalarFieldEnum);

// ── What the API reads and writes ────────────────────────────────────────────────────────

const NEW_RUN_JSON = ['tools', 'toolResources', 'metadata', 'truncationStrategy', 'toolChoice', 'responseFormat'] as const;

/** A new run's columns; its JSON ones take any JSON value (`'auto'` too), null for SQL NULL. */
export type NewRun = Pick<
  RunRow,
  | 'id'
  | 'projectId'
  | 'threadId'
  | 'assistantId'
  | 'createdAt'
  | 'status'
  | 'expiresAt'
  | 'model'
  | 'instructions'
  | 'additionalInstructions'
  | 'temperature'
  | 'topP'
  | 'maxPromptTokens'
  | 'maxCompletionTokens'
  | 'parallelToolCalls'
  | 'reasoningEffort'
> &
  Record<(typeof NEW_RUN_JSON)[number], unknown>;

/**
 * Inside the transaction that starts the run's workflow (src/services/runs.ts `startRun`); raw,
 * as it is on that path. Null, and nothing written, if the thread has an active run: the check
 * is part of the insert, and the caller's lock on the thread (taken by an earlier statement, so
 * this one's snapshot is from after it) keeps another from starting in between.
 */
export async function insertRun(tx: Sql, run: NewRun): Promise<RunRecord | null> {
  const row = { ...run, ...Object.fromEntries(NEW_RUN_JSON.map((f) => [f, jsonb(run[f])])) };
  const idle = Prisma.sql`NOT EXISTS (${activeRunSql(run.threadId)})`;
  const [inserted] = await tx.$queryRaw<RunRow[]>`${insertInto('runs', row, idle)} RETURNING ${RUN_COLUMNS}`;
  return inserted ? asRun(inserted) : null;
}

/** The run, if it belongs to the thread (raw: a client polling a run reads it many times). */
export async function findRun(db: Sql, threadId: string, runId: string): Promise<RunRecord> {
  const [row] = await db.$queryRaw<RunRow[]>`SELECT ${RUN_COLUMNS} FROM runs WHERE id = ${runId} AND thread_id = ${threadId}`;
  if (!row) throw new NotFoundError('run', runId);
  return asRun(row);
}

export async function pageRuns(db: Tx, threadId: string, q: PageQuery) {
  const { items, hasMore } = await page(q, (args) => db.run.findMany({ ...args, where: { ...args.where, threadId } }));
  return { items: items.map(asRun), hasMore };
}

export async function setRunMetadata(db: Tx, runId: string, metadata: Metadata): Promise<RunRecord> {
  return asRun(await db.run.update({ where: { id: runId }, data: { metadata } }));
}

// Active runs: one per thread at most, under the thread's lock (src/db/threads.ts `lockThread`).

/** The thread's active run, if any. */
export async function activeRunOf(tx: Tx, threadId: string): Promise<{ id: string } | undefined> {
  const rows = await tx.$queryRaw<{ id: string }[]>(activeRunSql(threadId));
  return rows[0];
}

const activeRunSql = (threadId: string) =>
  Prisma.sql`SELECT id FROM runs WHERE thread_id = ${threadId} AND status = ANY(${[...ACTIVE_STATUSES]}::text[]) LIMIT 1`;

/** Every run of the thread (deleting the thread deletes their workflows too). */
export function runsOf(db: Tx, threadId: string): Promise<{ id: string }[]> {
  return db.run.findMany({ where: { threadId }, select: { id: true } });
}

export async function findStep(db: Tx, threadId: string, runId: string, stepId: string): Promise<StepRecord> {
  const step = await db.runStep.findFirst({ where: { id: stepId, runId, threadId } });
  if (!step) throw new NotFoundError('run step', stepId);
  return asStep(step);
}

export async function pageSteps(db: Tx, runId: string, q: PageQuery) {
  const { items, hasMore } = await page(q, (args) => db.runStep.findMany({ ...args, where: { ...args.where, runId } }));
  return { items: items.map(asStep), hasMore };
}

// ── Status writes, guarded by the lifecycle (src/run-status.ts) ─────────────────────────────

/** The UPDATE that moves a run to `to` (with `fields`) if its status allows it, returning the new row. */
export function transitionSql(runId: string, to: RunStatus, fields: Fields<RunRow> = {}): Prisma.Sql {
  return Prisma.sql`
    UPDATE runs SET ${setList({ ...fields, status: to })} WHERE id = ${runId} AND status = ANY(${sourcesOf(to)}::text[])
    RETURNING ${RUN_COLUMNS}`;
}

/** Moves the run to `to` if its status allows it; returns the new row, or null if it did not move. */
export async function transition(tx: Sql, runId: string, to: RunStatus, fields: Fields<RunRow> = {}): Promise<RunRecord | null> {
  const [row] = await tx.$queryRaw<RunRow[]>(transitionSql(runId, to, fields));
  return row ? asRun(row) : null;
}

/**
 * `transition` and the NOTIFY of `events` in one statement, sent only if the run moved — for
 * events that can be made before the write (from the row as last read). Returns whether it moved.
 * `sent` is read only so that it runs: Postgres skips a plain CTE nothing reads.
 */
export async function transitionPublishing(db: Sql, runId: string, to: RunStatus, fields: Fields<RunRow>, events: StreamEvent[]): Promise<boolean> {
  const [row] = await db.$queryRaw<{ moved: boolean }[]>`
    WITH run AS (${transitionSql(runId, to, fields)}), sent AS (${notifying(runId, events, Prisma.sql`EXISTS (SELECT FROM run)`)})
    SELECT EXISTS (SELECT FROM run) AS moved, (SELECT count(*) FROM sent) AS sent`;
  return row!.moved;
}

/** The run by id alone (raw: the model activity reads it before every turn); null if there is none. */
export async function runById(tx: Sql, runId: string): Promise<RunRecord | null> {
  const [row] = await tx.$queryRaw<RunRow[]>`SELECT ${RUN_COLUMNS} FROM runs WHERE id = ${runId}`;
  return row ? asRun(row) : null;
}

export async function statusOf(tx: Sql, runId: string): Promise<RunStatus | null> {
  const [row] = await tx.$queryRaw<{ status: RunStatus }[]>`SELECT status FROM runs WHERE id = ${runId}`;
  return row?.status ?? null;
}

/** The run's usage, as an SQL expression: the sum of what each of its model calls cost. */
function usageOf(runId: string): Prisma.Sql {
  const sum = (key: keyof Usage) => Prisma.raw(`'${key}', coalesce(sum((model_usage->>'${key}')::int), 0)`);
  return Prisma.sql`(SELECT jsonb_build_object(${sum('prompt_tokens')}, ${sum('completion_tokens')}, ${sum('total_tokens')}) FROM run_steps WHERE run_id = ${runId})`;
}

/** in_progress → requires_action, listing the function calls of the tool step; null if the run moved on. */
export async function requireAction(tx: Sql, runId: string, stepId: string): Promise<RunRecord | null> {
  const step = await stepById(tx, stepId);
  const calls = step && step.stepDetails.type === 'tool_calls' ? step.stepDetails.tool_calls : [];
  return transition(tx, runId, 'requires_action', {
    requiredAction: {
      type: 'submit_tool_outputs',
      submit_tool_outputs: {
        tool_calls: calls.flatMap((c) => (c.type === 'function' ? [{ id: c.id, type: 'function', function: { name: c.function.name, arguments: c.function.arguments } }] : [])),
      },
    },
    usage: usageOf(runId),
  });
}

/** Steps know only two error codes. */
function stepError(e: { code: string; message: string }) {
  return { code: e.code === 'rate_limit_exceeded' ? 'rate_limit_exceeded' : 'server_error', message: e.message };
}

/**
 * Ends the run inside `tx`, closing its open steps and messages to match (docs/wire-contract.md
 * §4 e), in one statement: it runs after every run's last token. Null if the run had ended.
 */
export async function closeRun(tx: Sql, runId: string, outcome: RunOutcome): Promise<ClosedRun | null> {
  const now = nowSeconds();
  const reason = { failed: 'run_failed', cancelled: 'run_cancelled', expired: 'run_expired', incomplete: 'max_tokens', completed: null }[outcome.status];
  const stepStatus = closedStepStatus(outcome);
  const [closed] = await tx.$queryRaw<{ run: RunRow[]; messages: MessageRow[]; steps: RunStepRow[] }[]>(
    writes({
      run: transitionSql(runId, outcome.status, {
        requiredAction: null,
        usage: usageOf(runId),
        ...(outcome.status === 'completed' && { completedAt: now, expiresAt: null }),
        ...(outcome.status === 'failed' && { failedAt: now, lastError: outcome.error }),
        ...(outcome.status === 'cancelled' && { cancelledAt: now }),
        ...(outcome.status === 'incomplete' && { completedAt: now, incompleteDetails: { reason: outcome.reason } }),
      }),
      messages: Prisma.sql`
        UPDATE messages SET ${setList({ status: 'incomplete', incompleteAt: now, incompleteDetails: { reason } })}
        WHERE run_id = ${runId} AND status = 'in_progress' AND ${reason !== null} AND EXISTS (SELECT FROM run)
        RETURNING ${MESSAGE_COLUMNS}`,
      steps: Prisma.sql`
        UPDATE run_steps SET ${setList({
          status: stepStatus,
          usage: Prisma.sql`coalesce(model_usage, ${JSON.stringify(zeroUsage)}::jsonb)`,
          ...(stepStatus === 'failed' && { failedAt: now, lastError: outcome.status === 'failed' ? stepError(outcome.error) : undefined }),
          ...(stepStatus === 'cancelled' && { cancelledAt: now }),
          ...(stepStatus === 'expired' && { expiredAt: now }),
          ...(stepStatus === 'completed' && { completedAt: now }),
        })}
        WHERE run_id = ${runId} AND status = 'in_progress' AND EXISTS (SELECT FROM run)
        RETURNING ${STEP_COLUMNS}`,
    }),
  );
  const run = closed!.run[0];
  if (!run) return null;
  return { run: asRun(run), messages: closed!.messages.map(asMessage), steps: closed!.steps.map(asStep) };
}

/** The status a run's open steps take when it ends. */
export function closedStepStatus(outcome: RunOutcome): 'failed' | 'cancelled' | 'expired' | 'completed' {
  return ({ failed: 'failed', cancelled: 'cancelled', expired: 'expired', incomplete: 'completed', completed: 'completed' } as const)[outcome.status];
}

// ── Steps ────────────────────────────────────────────────────────────────────────────────

export async function stepById(tx: Sql, stepId: string): Promise<StepRecord | null> {
  const [row] = await tx.$queryRaw<RunStepRow[]>`SELECT ${STEP_COLUMNS} FROM run_steps WHERE id = ${stepId}`;
  return row ? asStep(row) : null;
}

/**
 * Opens a step (and the message it creates), publishing `events` at the same commit: one
 * statement, so the first text of an answer costs one round trip.
 */
export async function insertStep(db: Sql, step: StepRecord, message: MessageRecord | undefined, events: StreamEvent[]): Promise<void> {
  const inserts = [insertInto('run_steps', step), ...(message ? [insertInto('messages', message)] : [])];
  const ctes = Prisma.join(inserts.map((insert, i) => Prisma.sql`${Prisma.raw(`w${i}`)} AS (${insert})`));
  await db.$executeRaw`WITH ${ctes} ${notifying(step.runId, events)}`;
}

/** Completes a step and the message it created, in one statement; null if either is gone. */
export async function completeMessageStep(
  tx: Sql,
  ids: { stepId: string; messageId: string },
  message: Fields<MessageRow>,
  step: Fields<RunStepRow>,
): Promise<{ message: MessageRecord; step: StepRecord } | null> {
  const [done] = await tx.$queryRaw<{ message: MessageRow[]; step: RunStepRow[] }[]>(
    writes({
      message: Prisma.sql`UPDATE messages SET ${setList(message)} WHERE id = ${ids.messageId} RETURNING ${MESSAGE_COLUMNS}`,
      step: Prisma.sql`UPDATE run_steps SET ${setList(step)} WHERE id = ${ids.stepId} RETURNING ${STEP_COLUMNS}`,
    }),
  );
  const [m] = done!.message;
  const [s] = done!.step;
  return m && s ? { message: asMessage(m), step: asStep(s) } : null;
}

export async function updateStep(tx: Sql, stepId: string, fields: Fields<RunStepRow>): Promise<StepRecord | null> {
  const [row] = await tx.$queryRaw<RunStepRow[]>`UPDATE run_steps SET ${setList(fields)} WHERE id = ${stepId} RETURNING ${STEP_COLUMNS}`;
  return row ? asStep(row) : null;
}

/** The tool calls of a `tool_calls` step, as they now stand. */
export function setToolCalls(tx: Sql, stepId: string, calls: StoredToolCall[], fields: Fields<RunStepRow> = {}): Promise<StepRecord | null> {
  const details: StepDetails = { type: 'tool_calls', tool_calls: calls };
  return updateStep(tx, stepId, { ...fields, stepDetails: details });
}

/** Completes a tool step whose every call has its output: its usage is what its model call cost. */
export function completeToolStep(tx: Sql, step: StepRecord, calls: StoredToolCall[]): Promise<StepRecord | null> {
  return setToolCalls(tx, step.id, calls, { status: 'completed', completedAt: nowSeconds(), usage: step.modelUsage ?? zeroUsage });
}

/** Removes steps and the messages they created (an earlier attempt's leftovers). */
export async function deleteSteps(tx: Sql, steps: StepRecord[]): Promise<void> {
  const messageIds = steps.flatMap((s) => (s.stepDetails.type === 'message_creation' ? [s.stepDetails.message_creation.message_id] : []));
  await tx.$executeRaw`DELETE FROM messages WHERE id = ANY(${messageIds}::text[])`;
  await tx.$executeRaw`DELETE FROM run_steps WHERE id = ANY(${steps.map((s) => s.id)}::text[])`;
}

// ── The conversation a run's model call reads ────────────────────────────────────────────

/** The rows a run's conversation is made of: its thread's messages and its own steps. */
export interface Transcript {
  messages: Pick<MessageRecord, 'id' | 'role' | 'content' | 'runId'>[];
  /** The run's steps so far, whole: a retried turn also finds what its earlier attempt left here. */
  steps: StepRecord[];
}

/**
 * Two reads side by side, by run id alone so they can run alongside reading the run itself.
 * Nothing is added to a thread while a run is active, so its messages from other runs (or
 * none) are what came before this run. Null when the messages' read did not see the run: its
 * snapshot is from before the API's commit, and so may lack the run's `additional_messages`
 * (the run's steps are the worker's own writes, made after that commit).
 */
export async function readTranscript(db: Sql, runId: string): Promise<Transcript | null> {
  const [rows, steps] = await Promise.all([
    // From the run, so a run with no messages still gives one row (of nulls), and no run none.
    db.$queryRaw<(Transcript['messages'][number] | { id: null })[]>`
      SELECT m.id, m.role, m.content, m.run_id AS "runId" FROM runs r LEFT JOIN messages m ON m.thread_id = r.thread_id
      WHERE r.id = ${runId} ORDER BY m.id`,
    db.$queryRaw<RunStepRow[]>`SELECT ${STEP_COLUMNS} FROM run_steps WHERE run_id = ${runId} ORDER BY id`,
  ]);
  if (rows.length === 0) return null;
  return { messages: rows.filter((m): m is Transcript['messages'][number] => m.id !== null), steps: steps.map(asStep) };
}
