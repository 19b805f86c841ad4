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
 * A new, empty database on the suite's Postgres, for an API of its own (it migrates at start):
 * state that would change every other test's server — issuing project keys ends the open
 * mode — stays in it.
 */
export async function freshDatabase(label: string): Promise<string> {
  const name = `${label}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  await sql(`CREATE DATABASE ${name}`);
  const url = new URL(inject('databaseUrl'));
  url.pathname = `/${name}`;
  return url.toString();
}
