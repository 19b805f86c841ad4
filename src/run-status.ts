import type { RunStatus } from 'openai/resources/beta/threads/runs/runs';
import { columnsOf, setList } from './db/raw.js';
import { Prisma, type Run as RunRow } from './generated/prisma/client.js';

/**
 * The run lifecycle (openai-contract.md §3), in one place: the API and the activities that
 * write statuses both ask here, and write through `transition`, so a late or repeated write can
 * never move a run backwards.
 */
export type { RunStatus };

export const ACTIVE_STATUSES = ['queued', 'in_progress', 'requires_action', 'cancelling'] as const satisfies readonly RunStatus[];
export const TERMINAL_STATUSES = ['completed', 'failed', 'cancelled', 'expired', 'incomplete'] as const satisfies readonly RunStatus[];

const TRANSITIONS: Record<RunStatus, readonly RunStatus[]> = {
  queued: ['in_progress', 'cancelling', 'cancelled', 'failed', 'expired'],
  in_progress: ['requires_action', 'completed', 'failed', 'incomplete', 'cancelling', 'cancelled', 'expired'],
  requires_action: ['queued', 'cancelling', 'cancelled', 'expired', 'failed'],
  // Cancellation is best effort: a run may still finish while it is being cancelled.
  cancelling: ['cancelled', 'completed', 'failed', 'incomplete', 'expired'],
  completed: [],
  failed: [],
  cancelled: [],
  expired: [],
  incomplete: [],
};

export function canTransition(from: RunStatus, to: RunStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** The statuses a run may be in for it to move to `to`. */
export function sourcesOf(to: RunStatus): RunStatus[] {
  return (Object.keys(TRANSITIONS) as RunStatus[]).filter((from) => canTransition(from, to));
}

export const isTerminal = (s: string): boolean => (TERMINAL_STATUSES as readonly string[]).includes(s);

/** The UPDATE that moves a run to `to` (with `fields`) if its status allows it, returning the new row. */
export function transitionSql(runId: string, to: RunStatus, fields: Partial<Record<keyof RunRow, unknown>> = {}): Prisma.Sql {
  return Prisma.sql`
    UPDATE runs SET ${setList({ ...fields, status: to })} WHERE id = ${runId} AND status = ANY(${sourcesOf(to)}::text[])
    RETURNING ${columnsOf(Prisma.RunScalarFieldEnum)}`;
}

/** Moves the run to `to` if its status allows it; returns the new row, or null if it did not move. */
export async function transition(tx: Prisma.TransactionClient, runId: string, to: RunStatus, fields: Partial<Record<keyof RunRow, unknown>> = {}): Promise<RunRow | null> {
  const [row] = await tx.$queryRaw<RunRow[]>(transitionSql(runId, to, fields));
  return row ?? null;
}
