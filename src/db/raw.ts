import { Prisma } from '../generated/prisma/client.js';

/*
 * Raw statements shaped by Prisma's models, for the run's path to its first token and its end:
 * a raw statement skips Prisma 6's per-query compilation (up to about 1 ms of main-thread CPU
 * per query in the benchmark), and several writes can share one round trip. Every column is
 * its field's name in snake_case (prisma/schema.prisma keeps to that; test/raw.test.ts checks
 * these against Prisma's own reads and writes). JSON fields take objects or arrays, or any JSON
 * value given as `jsonb(value)`.
 */

const columnOf = (field: string) => `"${field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}"`;

/** A field's value as a statement parameter; a `Prisma.Sql` is an expression, taken as it is. */
function valueOf(value: unknown): Prisma.Sql {
  if (value instanceof Prisma.Sql) return value;
  if (value !== null && typeof value === 'object') return jsonb(value);
  return Prisma.sql`${value}`;
}

/** Any JSON value as jsonb, a bare string (`'auto'`) too; null is SQL NULL. */
export function jsonb(value: unknown): Prisma.Sql {
  return value === null ? Prisma.sql`NULL` : Prisma.sql`${JSON.stringify(value)}::jsonb`;
}

/** `SELECT ${columnsOf(Prisma.RunScalarFieldEnum)}`, or RETURNING: rows shaped as the model. */
export function columnsOf(fields: Record<string, string>): Prisma.Sql {
  return Prisma.raw(Object.keys(fields).map((f) => (columnOf(f) === `"${f}"` ? `"${f}"` : `${columnOf(f)} AS "${f}"`)).join(', '));
}

/**
 * `INSERT INTO table (…) VALUES (…)` for a row given by field; undefined fields keep their
 * defaults. With `onlyIf`, `INSERT … SELECT … WHERE onlyIf`: nothing is inserted unless it holds
 * (the parameters still take their columns' types).
 */
export function insertInto(table: string, row: Record<string, unknown>, onlyIf?: Prisma.Sql): Prisma.Sql {
  const fields = Object.keys(row).filter((f) => row[f] !== undefined);
  const values = Prisma.join(fields.map((f) => valueOf(row[f])));
  const source = onlyIf ? Prisma.sql`SELECT ${values} WHERE ${onlyIf}` : Prisma.sql`VALUES (${values})`;
  return Prisma.sql`INSERT INTO ${Prisma.raw(`"${table}"`)} (${Prisma.raw(fields.map(columnOf).join(', '))}) ${source}`;
}

/** The `SET` list of an UPDATE, by field; undefined fields are left alone. */
export function setList(fields: Record<string, unknown>): Prisma.Sql {
  const set = Object.keys(fields).filter((f) => fields[f] !== undefined);
  return Prisma.join(set.map((f) => Prisma.sql`${Prisma.raw(columnOf(f))} = ${valueOf(fields[f])}`));
}

/**
 * Several writes as one statement (data-modifying CTEs: all or nothing, one round trip), each
 * named, each RETURNING its rows (with their `id`); a write may refer to an earlier one by name.
 * The result's one row has, under each name, the rows that write returned, in id order.
 */
export function writes(named: Record<string, Prisma.Sql>): Prisma.Sql {
  const ctes = Object.entries(named).map(([name, sql]) => Prisma.sql`${Prisma.raw(name)} AS (${sql})`);
  const results = Object.keys(named).map((name) => Prisma.raw(`(SELECT coalesce(json_agg(${name} ORDER BY id), '[]') FROM ${name}) AS ${name}`));
  return Prisma.sql`WITH ${Prisma.join(ctes)} SELECT ${Prisma.join(results)}`;
}
