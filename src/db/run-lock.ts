import pg from 'pg';
import type { Prisma } from '../generated/prisma/client.js';
import type { Db } from './client.js';

/**
 * The API starts a run's workflow before the transaction that inserts the run has committed,
 * and with eager start the model activity can be running by then. The API holds this lock from
 * before the start until the transaction has ended (inside it, or from its gate: `NewRunGate`);
 * an activity that does not find the run waits for it (shared) and reads again
 * (`readCommitted`), so it reads the committed row, or learns that there is none because the
 * transaction rolled back.
 */
export async function holdNewRun(tx: Prisma.TransactionClient, runId: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${runId}))`;
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

/**
 * The lock held on a connection of the API's own (a session lock), so that it can be taken
 * before the transaction that writes the run has begun and the workflow's start need not wait
 * for that transaction's first round trips. One per API process; a connection that broke took
 * its locks with it, and the next `hold` opens a new one.
 */
export class NewRunGate {
  #client?: Promise<pg.Client>;

  constructor(private readonly databaseUrl: string) {}

  /** Holds the lock of `id`; the returned function releases it (it never throws). */
  async hold(id: string): Promise<() => Promise<void>> {
    const client = await this.#connect();
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [id]);
    return () => client.query('SELECT pg_advisory_unlock(hashtext($1))', [id]).then(
      () => {},
      () => {},
    );
  }

  #connect(): Promise<pg.Client> {
    if (this.#client) return this.#client;
    const client = new pg.Client({ connectionString: this.databaseUrl, connectionTimeoutMillis: 5_000, keepAlive: true });
    const connected = client.connect().then(() => client);
    const drop = () => {
      if (this.#client === connected) this.#client = undefined;
      client.end().catch(() => {});
    };
    client.on('error', drop);
    client.on('end', drop);
    connected.catch(drop);
    this.#client = connected;
    return connected;
  }

  async close(): Promise<void> {
    const client = await this.#client?.catch(() => undefined);
    this.#client = undefined;
    await client?.end();
  }
}
