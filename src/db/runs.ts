import type { Metadata } from 'openai/resources/shared';
import { NotFoundError } from '../errors.js';
import type { Prisma, Run, RunStep } from '../generated/prisma/client.js';
import { ACTIVE_STATUSES } from '../run-status.js';
import type { Tx } from './client.js';
import { page, type PageQuery } from './pagination.js';

/**
 * The `runs` and `run_steps` tables. Lookups by id throw NotFoundError when there is no such
 * row. Status writes go through src/run-status.ts, which owns the allowed transitions.
 */

// Runs.

/** Inside the transaction that starts the run's workflow (src/services/runs.ts `startRun`). */
export function insertRun(tx: Tx, data: Prisma.RunUncheckedCreateInput): Promise<Run> {
  return tx.run.create({ data });
}

/** The run, if it belongs to the thread. */
export async function findRun(db: Tx, threadId: string, runId: string): Promise<Run> {
  const run = await db.run.findFirst({ where: { id: runId, threadId } });
  if (!run) throw new NotFoundError('run', runId);
  return run;
}

/** A run known to exist (its status write just found it). */
export function runById(db: Tx, runId: string): Promise<Run> {
  return db.run.findUniqueOrThrow({ where: { id: runId } });
}

export function pageRuns(db: Tx, threadId: string, q: PageQuery) {
  return page(q, (args) => db.run.findMany({ ...args, where: { ...args.where, threadId } }));
}

export function setRunMetadata(db: Tx, runId: string, metadata: Metadata): Promise<Run> {
  return db.run.update({ where: { id: runId }, data: { metadata } });
}

// Active runs: one per thread at most, under the thread's lock (src/db/threads.ts `lockThread`).

/** The thread's active run, if any (raw: it is on the path to a run's first token). */
export async function activeRunOf(tx: Tx, threadId: string): Promise<{ id: string } | undefined> {
  const rows = await tx.$queryRaw<{ id: string }[]>`
    SELECT id FROM runs WHERE thread_id = ${threadId} AND status = ANY(${[...ACTIVE_STATUSES]}::text[]) LIMIT 1`;
  return rows[0];
}

/** Every active run of the thread, outside its lock (deleting the thread stops them). */
export function activeRunsOf(db: Tx, threadId: string): Promise<{ id: string }[]> {
  return db.run.findMany({ where: { threadId, status: { in: [...ACTIVE_STATUSES] } }, select: { id: true } });
}

// Run steps.

export async function findStep(db: Tx, threadId: string, runId: string, stepId: string): Promise<RunStep> {
  const step = await db.runStep.findFirst({ where: { id: stepId, runId, threadId } });
  if (!step) throw new NotFoundError('run step', stepId);
  return step;
}

export function pageSteps(db: Tx, runId: string, q: PageQuery) {
  return page(q, (args) => db.runStep.findMany({ ...args, where: { ...args.where, runId } }));
}
