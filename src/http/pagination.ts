import { z } from 'zod';

/**
 * Cursor lists exactly as OpenAI pages them (openai-contract.md §2). Ids are time-ordered
 * (src/ids.ts), so a cursor is compared directly and still works after its object is deleted.
 */
export const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  order: z.enum(['asc', 'desc']).default('desc'),
  after: z.string().min(1).optional(),
  before: z.string().min(1).optional(),
});
export type ListQuery = z.output<typeof ListQuery>;

export interface PageArgs {
  where: { id?: { lt?: string; gt?: string } };
  orderBy: { id: 'asc' | 'desc' };
  take: number;
}

export interface ListEnvelope<T> {
  object: 'list';
  data: T[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

/** Fetches one page: `fetch` runs the query with the id bounds, order and take it is given. */
export async function page<T extends { id: string }>(q: ListQuery, fetch: (args: PageArgs) => Promise<T[]>): Promise<{ items: T[]; hasMore: boolean }> {
  const desc = q.order === 'desc';
  const id: { lt?: string; gt?: string } = {};
  // `after` = further along in the requested order; `before` = back towards its start.
  if (q.after) id[desc ? 'lt' : 'gt'] = q.after;
  if (q.before) id[desc ? 'gt' : 'lt'] = q.before;
  // `before` alone returns the page nearest the cursor: read backwards from it, then flip.
  const backwards = q.before !== undefined && q.after === undefined;
  const forward = desc ? 'desc' : 'asc';
  const rows = await fetch({
    where: q.after || q.before ? { id } : {},
    orderBy: { id: backwards ? (desc ? 'asc' : 'desc') : forward },
    take: q.limit + 1,
  });
  const hasMore = rows.length > q.limit;
  const items = rows.slice(0, q.limit);
  return { items: backwards ? items.reverse() : items, hasMore };
}

export function envelope<T extends { id: string }>(data: T[], hasMore: boolean): ListEnvelope<T> {
  return {
    object: 'list',
    data,
    first_id: data[0]?.id ?? null,
    last_id: data[data.length - 1]?.id ?? null,
    has_more: hasMore,
  };
}
