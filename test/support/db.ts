import pg from 'pg';
import { inject } from 'vitest';

/** Reads Postgres directly, to check what the API did (or did not) write. */
export async function sql<T = Record<string, unknown>>(text: string, params: unknown[] = [], url = inject('databaseUrl')): Promise<T[]> {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    return (await db.query(text, params)).rows as T[];
  } finally {
    await db.end();
  }
}

/** How many messages mention `marker` anywhere in their content. */
export async function messagesContaining(marker: string): Promise<number> {
  const [row] = await sql<{ n: number }>('SELECT count(*)::int AS n FROM messages WHERE content::text LIKE $1', [`%${marker}%`]);
  return row!.n;
}

/**
 * The settings of an API with a new, empty database on the suite's Postgres (it migrates at
 * start), for state that would change every other test's server (issuing project keys ends
 * the open mode). Its task queues are its own too: the suite's workers, on the suite's
 * database, would take its runs and ingestions and find none of their rows, and its worker
 * would take theirs.
 */
export async function ownDatabase(label: string): Promise<{ DATABASE_URL: string; TEMPORAL_TASK_QUEUE: string; TEMPORAL_INGEST_TASK_QUEUE: string }> {
  const name = `${label}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  await sql(`CREATE DATABASE ${name}`);
  const url = new URL(inject('databaseUrl'));
  url.pathname = `/${name}`;
  return { DATABASE_URL: url.toString(), TEMPORAL_TASK_QUEUE: `${name}-runs`, TEMPORAL_INGEST_TASK_QUEUE: `${name}-ingest` };
}
