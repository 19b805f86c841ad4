import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import type { Logger } from '../log.js';
import { projectFile } from '../project-files.js';

/**
 * Applies `prisma/migrations/*\/migration.sql` exactly as `prisma migrate deploy` records them
 * (same `_prisma_migrations` table, checksum = sha256 of the file, same advisory lock key), so
 * a later `prisma migrate deploy` or `migrate status` on a connected machine agrees.
 * Prisma's own deploy cannot run here: its WASM engine trips over adapter-pg bugs (README).
 * Unlike Prisma, each migration runs in one transaction with its bookkeeping row.
 */
const PRISMA_ADVISORY_LOCK = 72707369;
export const MIGRATIONS_DIR = projectFile('prisma', 'migrations');

const BOOKKEEPING_DDL = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

export class MigrationError extends Error {}

export async function migrate(databaseUrl: string, log: Logger, dir = MIGRATIONS_DIR): Promise<string[]> {
  const names = (await readdir(dir, { withFileTypes: true }))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [PRISMA_ADVISORY_LOCK]);
    await client.query(BOOKKEEPING_DDL);
    const done = await client.query<{ migration_name: string; checksum: string; finished_at: Date | null }>(
      'SELECT migration_name, checksum, finished_at FROM "_prisma_migrations" WHERE rolled_back_at IS NULL',
    );
    const known = new Map(done.rows.map((r) => [r.migration_name, r]));
    for (const name of names) {
      const sql = await readFile(path.join(dir, name, 'migration.sql'), 'utf8');
      const checksum = createHash('sha256').update(sql).digest('hex');
      const row = known.get(name);
      if (row) {
        if (!row.finished_at) throw new MigrationError(`Migration ${name} is marked as failed in _prisma_migrations; resolve it with \`prisma migrate resolve\``);
        if (row.checksum !== checksum) log.warn({ migration: name }, 'migration file was edited after it was applied');
        continue;
      }
      await client.query('BEGIN');
      try {
        await client.query(sql);
        await client.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, applied_steps_count)
           VALUES ($1, $2, now(), $3, 1)`,
          [randomUUID(), checksum, name],
        );
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new MigrationError(`Migration ${name} failed: ${(err as Error).message}`);
      }
      applied.push(name);
      log.info({ migration: name }, 'applied migration');
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [PRISMA_ADVISORY_LOCK]).catch(() => {});
    await client.end();
  }
  return applied;
}
