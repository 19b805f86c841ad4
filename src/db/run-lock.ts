import { Prisma } from '../generated/prisma/client.js';
import type { Db } from './client.js';

/**
 * The API starts a run's workflow inside the transaction that inserts the run, and with eager
 * start the model activity can be running before that transaction commits. The API holds this
 * lock for the transaction; the activity waits for it (shared) before reading the run, so it
 * reads the committed row, or learns that there is none because the transaction rolled back.
 */
export async function holdNewRun(tx: Prisma.TransactionClient, runId: string): Promise<void> {
  await tx.$executeRaw`SELECT ${newRunLock(runId)}`;
}

/** The lock as an expression, for a statement that takes it beside its own work (src/db/threads.ts). */
export function newRunLock(runId: string): Prisma.Sql {
  return Prisma.sql`pg_advisory_xact_lock(hashtext(${runId}))`;
}

/** Outside a transaction: the lock is released as soon as the statement has it. */
export async function awaitNewRun(db: Pick<Db, '$executeRaw'>, runId: string): Promise<void> {
  await db.$executeRaw`SELECT pg_advisory_xact_lock_shared(hashtext(${runId}))`;
}
