import { Prisma } from '../generated/prisma/client.js';
import type { Db } from './client.js';

/**
 * The API starts a run's workflow inside the transaction that inserts the run, and with eager
 * start the model activity can be running before that transaction commits. The API holds this
 * lock for the transaction; an activity that does not find the run waits for it (shared) and
 * reads again (`readCommitted`), so it reads the committed row, or learns that there is none
 * because the transaction rolled back.
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

/**
 * What a new run's (or response's) workflow reads first, once its row is committed. By the time
 * the activity runs the API has almost always committed, so it reads at once; only when `read`
 * finds nothing (null) does it wait for the lock and read again. The wait cannot be part of the
 * read: a statement that waits on the lock reads from a snapshot taken before the commit.
 */
export async function readCommitted<T>(db: Pick<Db, '$executeRaw'>, id: string, read: () => Promise<T | null>): Promise<T | null> {
  const found = await read();
  if (found !== null) return found;
  await awaitNewRun(db, id);
  return read();
}
