import { z } from 'zod';
import type { AttributeFilter } from '../../retrieval/filters.js';

const ORDERED = ['gt', 'gte', 'lt', 'lte'] as const;

/** A comparison on a store file's attribute; which values each operator takes is checked here, so SQL never sees a mismatch. */
const Comparison = z
  .strictObject({
    type: z.enum(['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'nin']),
    key: z.string().min(1).max(64),
    value: z.union([z.string().max(512), z.number(), z.boolean(), z.array(z.union([z.string().max(512), z.number()])).min(1).max(100)]),
  })
  .superRefine((f, ctx) => {
    const list = Array.isArray(f.value);
    const fail = (expected: string) =>
      ctx.addIssue({ code: 'custom', path: ['value'], message: `Invalid 'value' for a '${f.type}' filter: expected ${expected}.` });
    if ((f.type === 'in' || f.type === 'nin') && !list) fail('an array of strings or numbers');
    else if ((f.type === 'eq' || f.type === 'ne') && list) fail('a string, a number or a boolean');
    else if ((ORDERED as readonly string[]).includes(f.type) && (list || typeof f.value === 'boolean')) fail('a number or a string');
  });

/** `filters` as OpenAI takes them: a comparison, or `and`/`or` of filters, nested (the input guard bounds the depth). */
export const Filter: z.ZodType<AttributeFilter> = z.lazy(() =>
  z.discriminatedUnion('type', [Comparison, z.strictObject({ type: z.enum(['and', 'or']), filters: z.array(Filter) })]),
);

/** A list of queries is searched query by query; each chunk keeps its best score. */
const Query = z.string().min(1).max(4_096);

export const SearchRequest = z.strictObject({
  query: z.union([Query, z.array(Query).min(1).max(10)]),
  filters: Filter.nullish(),
  max_num_results: z.number().int().min(1).max(50).default(10),
  ranking_options: z
    .strictObject({ ranker: z.enum(['none', 'auto', 'default-2024-11-15']).optional(), score_threshold: z.number().min(0).max(1).optional() })
    .optional(),
  rewrite_query: z.boolean().nullish(),
});
