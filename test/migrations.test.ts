/**
 * Our own migration runner (src/db/migrate.ts) keeps Prisma's bookkeeping, so Prisma agrees
 * with it: `prisma migrate status` is happy, `_prisma_migrations` holds one finished row per
 * migration folder with Prisma's checksum, a second run applies nothing, and the migration SQL
 * build exactly the schema Prisma generates.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { migrate, MIGRATIONS_DIR } from '../src/db/migrate.js';
import { log } from '../src/log.js';
import pg from 'pg';
import { sql } from './support/db.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const run = promisify(execFile);

/** `npx prisma …` against the test database; resolves with exit code and all output, never rejects on a non-zero exit. */
async function prisma(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('npx', ['prisma', ...args], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: inject('databaseUrl') },
      maxBuffer: 16 * 1024 * 1024,
      timeout: 90_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: `${e.stderr ?? ''}${String(err)}` };
  }
}

/** Migration folders, in the order Prisma (and migrate()) apply them. */
async function migrationFolders(): Promise<string[]> {
  return (await readdir(MIGRATIONS_DIR, { withFileTypes: true }))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

const migrationSql = (name: string) => readFile(path.join(MIGRATIONS_DIR, name, 'migration.sql'), 'utf8');

describe('migrations', () => {
  it('MIGRATIONS_DIR is the project’s prisma/migrations and holds at least one migration', async () => {
    expect(MIGRATIONS_DIR).toBe(path.join(ROOT, 'prisma', 'migrations'));
    const folders = await migrationFolders();
    expect(folders.length).toBeGreaterThan(0);
    for (const name of folders) expect(name).toMatch(/^\d{14}_\w+$/);
  });

  it('prisma migrate status: the database schema is up to date', { timeout: 120_000 }, async () => {
    const result = await prisma(['migrate', 'status']);
    const output = result.stdout + result.stderr;
    expect(result.code, output).toBe(0);
    expect(output).toContain('Database schema is up to date');
    const folders = await migrationFolders();
    expect(output).toContain(`${folders.length} migration${folders.length === 1 ? '' : 's'} found in prisma/migrations`);
  });

  it('_prisma_migrations: one finished row per folder, checksum = sha256 of its migration.sql', async () => {
    const rows = await sql<{
      migration_name: string;
      checksum: string;
      finished_at: Date | null;
      rolled_back_at: Date | null;
      logs: string | null;
      applied_steps_count: number;
    }>('SELECT migration_name, checksum, finished_at, rolled_back_at, logs, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name');
    const folders = await migrationFolders();
    expect(rows.map((r) => r.migration_name)).toEqual(folders);
    for (const row of rows) {
      const expected = createHash('sha256').update(await migrationSql(row.migration_name)).digest('hex');
      expect(row.checksum, row.migration_name).toBe(expected);
      expect(row.finished_at, row.migration_name).toBeInstanceOf(Date);
      expect(row.rolled_back_at, row.migration_name).toBeNull();
      expect(row.logs, row.migration_name).toBeNull();
      expect(row.applied_steps_count, row.migration_name).toBe(1);
    }
  });

  it('running migrate() again applies nothing and changes no bookkeeping', async () => {
    const before = await sql('SELECT * FROM "_prisma_migrations" ORDER BY migration_name');
    expect(before.length).toBeGreaterThan(0);
    expect(await migrate(inject('databaseUrl'), log.child({ service: 'migrations-test' }, { level: 'warn' }))).toEqual([]);
    expect(await sql('SELECT * FROM "_prisma_migrations" ORDER BY migration_name')).toEqual(before);
  });

  it('the migrations build exactly the schema Prisma generates from prisma/schema.prisma', { timeout: 120_000 }, async () => {
    // `migrate diff --from-migrations` needs a shadow database, which Prisma refuses with a
    // driver adapter: apply the migrations to one fresh database and Prisma's from-empty script
    // to another, and compare their catalogs.
    const result = await prisma(['migrate', 'diff', '--from-empty', '--to-schema-datamodel', 'prisma/schema.prisma', '--script']);
    expect(result.code, result.stderr).toBe(0);
    const migrations = await Promise.all((await migrationFolders()).map(migrationSql));
    const [fromMigrations, fromSchema] = await Promise.all([catalogAfter(migrations), catalogAfter([result.stdout])]);
    expect(fromMigrations.length).toBeGreaterThan(0);
    expect(fromMigrations).toEqual(fromSchema);
  });
});

/** Tables, columns, indexes and constraints of a fresh database after `scripts`. */
async function catalogAfter(scripts: string[]): Promise<unknown[]> {
  const name = `catalog_${createHash('sha256').update(scripts.join('') + Math.random()).digest('hex').slice(0, 12)}`;
  await sql(`CREATE DATABASE ${name}`);
  const url = new URL(inject('databaseUrl'));
  url.pathname = `/${name}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    for (const script of scripts) await client.query(script);
    const { rows } = await client.query(`
      SELECT 'column' AS kind, table_name || '.' || column_name AS name, data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') AS def
        FROM information_schema.columns WHERE table_schema = 'public'
      UNION ALL SELECT 'index', indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'
      UNION ALL SELECT 'constraint', conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = 'public'::regnamespace
      ORDER BY 1, 2`);
    return rows;
  } finally {
    await client.end();
    await sql(`DROP DATABASE ${name}`);
  }
}
