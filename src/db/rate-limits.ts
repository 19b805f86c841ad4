import { ACTIVE_STATUSES } from '../run-status.js';
import type { Tx } from './client.js';
import { ACTIVE_RESPONSE_STATUSES } from './responses.js';

/**
 * The `rate_limit_windows` table (one row per project, its current window) and the count of a
 * project's active runs. Every statement here is one round trip; windows live in Postgres so
 * that every API replica and worker counts into the same row. Time is Postgres's clock, so
 * replicas whose clocks differ still agree on when a window ends.
 */

export interface WindowState {
  /** Requests counted in the window, this one included. */
  requests: number;
  /** Tokens the project's model calls used in the window. */
  tokens: number;
  /** Until the window ends. */
  resetMs: number;
}

/**
 * Counts one request in the project's window; the first request after a window ended opens the
 * next one, `seconds` long, from now.
 */
export async function countRequest(db: Tx, projectId: string, seconds: number): Promise<WindowState> {
  const [row] = await db.$queryRaw<WindowState[]>`
    INSERT INTO rate_limit_windows AS w (project_id, starts_at, ends_at, requests, tokens)
    VALUES (${projectId}, now(), now() + ${seconds}::int * interval '1 second', 1, 0)
    ON CONFLICT (project_id) DO UPDATE SET
      requests = CASE WHEN w.ends_at > now() THEN w.requests + 1 ELSE 1 END,
      tokens = CASE WHEN w.ends_at > now() THEN w.tokens ELSE 0 END,
      starts_at = CASE WHEN w.ends_at > now() THEN w.starts_at ELSE now() END,
      ends_at = CASE WHEN w.ends_at > now() THEN w.ends_at ELSE excluded.ends_at END
    RETURNING requests, tokens, ceil(extract(epoch FROM ends_at - now()) * 1000)::int AS "resetMs"`;
  return row!;
}

/**
 * Adds a model call's tokens to the project's window. Only a project with an RPM or TPM limit
 * has a row (its requests made it); for any other this matches nothing. A window that has
 * ended is followed by one of the same length from now, so a worker needs no setting for it.
 */
export async function addTokens(db: Tx, projectId: string, tokens: number): Promise<void> {
  await db.$executeRaw`
    UPDATE rate_limit_windows SET
      tokens = CASE WHEN ends_at > now() THEN tokens + ${tokens}::int ELSE ${tokens}::int END,
      requests = CASE WHEN ends_at > now() THEN requests ELSE 0 END,
      starts_at = CASE WHEN ends_at > now() THEN starts_at ELSE now() END,
      ends_at = CASE WHEN ends_at > now() THEN ends_at ELSE now() + (ends_at - starts_at) END
    WHERE project_id = ${projectId}`;
}

/**
 * The project's runs and responses that are not over yet, counted after taking the project's
 * advisory lock, which the transaction holds to its end: concurrent creators count one after
 * another, each seeing what the one before committed. Two statements, since a statement's
 * snapshot is taken before it waits for the lock.
 */
export async function lockAndCountActiveRuns(tx: Tx, projectId: string): Promise<number> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`active-runs:${projectId}`}))`;
  const [row] = await tx.$queryRaw<{ n: number }[]>`
    SELECT ((SELECT count(*) FROM runs WHERE project_id = ${projectId} AND status = ANY(${[...ACTIVE_STATUSES]}::text[]))
      + (SELECT count(*) FROM responses WHERE project_id = ${projectId} AND status = ANY(${[...ACTIVE_RESPONSE_STATUSES]}::text[])))::int AS n`;
  return row!.n;
}
