/**
 * Cursor lists exactly as OpenAI pages them (docs/wire-contract.md §2). Ids are time-ordered
 * (src/ids.ts), so a cursor is compared directly and still works after its object is deleted.
 */
export interface PageQuery {
  limit: number;
  order: 'asc' | 'desc';
  after?: string | undefined;
  before?: string | undefined;
}

export interface PageArgs {
  where: { id?: { lt?: string; gt?: string } };
  orderBy: { id: 'asc' | 'desc' };
  take: number;
}

export interface Page<T> {
  items: T[];
  hasMore: boolean;
}

/** Fetches one page: `fetch` runs the query with the id bounds, order and take it is given. */
export async function page<T extends { id: string }>(q: PageQuery, fetch: (args: PageArgs) => Promise<T[]>): Promise<Page<T>> {
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

/** Pages items already in their list's order (a response's input items), by their ids' positions. */
export function pageInOrder<T extends { id: string }>(all: T[], q: PageQuery): Page<T> {
  const ordered = q.order === 'desc' ? [...all].reverse() : all;
  const at = (id: string | undefined) => (id === undefined ? -1 : ordered.findIndex((t) => t.id === id));
  let from = q.after ? at(q.after) + 1 : 0;
  let to = q.before ? at(q.before) : ordered.length;
  if (to < 0) to = ordered.length;
  const backwards = q.before !== undefined && q.after === undefined;
  if (backwards) from = Math.max(0, to - q.limit);
  const slice = ordered.slice(from, to);
  const items = backwards ? slice : slice.slice(0, q.limit);
  return { items, hasMore: backwards ? from > 0 : slice.length > q.limit };
}
