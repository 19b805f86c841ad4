import type { ComparisonFilter, CompoundFilter } from 'openai/resources/shared';
import { Prisma } from '../generated/prisma/client.js';

/** A search's `filters` on store files' `attributes`: a comparison, or `and`/`or` of filters, nested. */
export type AttributeFilter = ComparisonFilter | CompoundAttributeFilter;

/** The SDK's CompoundFilter, whose `filters` it types as `unknown` beside comparisons. */
export interface CompoundAttributeFilter {
  type: CompoundFilter['type'];
  filters: AttributeFilter[];
}

/**
 * A filter as a SQL condition on the jsonb `attributes`. Keys and values travel as bound
 * parameters, never as SQL text. Types are kept: `eq 1` matches the number 1, not the string
 * "1". A file without the key fails every comparison but `ne` and `nin`, which it passes
 * (it is not equal to the value). Order comparisons take numbers or strings (compared by code
 * point), and match attributes of the same type only.
 */
export function filterSql(filter: AttributeFilter, attributes: Prisma.Sql): Prisma.Sql {
  if ('filters' in filter) {
    if (filter.filters.length === 0) return filter.type === 'and' ? Prisma.sql`TRUE` : Prisma.sql`FALSE`;
    const parts = filter.filters.map((f) => Prisma.sql`(${filterSql(f, attributes)})`);
    return Prisma.join(parts, filter.type === 'and' ? ' AND ' : ' OR ');
  }
  const attr = Prisma.sql`(${attributes} -> ${filter.key}::text)`;
  const json = JSON.stringify(filter.value);
  switch (filter.type) {
    case 'eq':
      return Prisma.sql`${attr} = ${json}::jsonb`;
    case 'ne':
      return Prisma.sql`${attr} IS DISTINCT FROM ${json}::jsonb`;
    case 'in':
      return Prisma.sql`COALESCE(${json}::jsonb @> jsonb_build_array(${attr}), FALSE)`;
    case 'nin':
      return Prisma.sql`NOT COALESCE(${json}::jsonb @> jsonb_build_array(${attr}), FALSE)`;
    default: {
      const op = Prisma.raw({ gt: '>', gte: '>=', lt: '<', lte: '<=' }[filter.type]);
      // CASE, so that a value of another type is never cast (and never fails the statement).
      return typeof filter.value === 'number'
        ? Prisma.sql`COALESCE(CASE WHEN jsonb_typeof(${attr}) = 'number' THEN (${attr})::numeric ${op} ${filter.value}::numeric END, FALSE)`
        : Prisma.sql`COALESCE(CASE WHEN jsonb_typeof(${attr}) = 'string' THEN (${attributes} ->> ${filter.key}::text) COLLATE "C" ${op} ${String(filter.value)}::text COLLATE "C" END, FALSE)`;
    }
  }
}
