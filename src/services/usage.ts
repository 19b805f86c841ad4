import { completionUsage, type UsageBucket } from '../db/usage.js';
import { InvalidInputError } from '../errors.js';
import { nowSeconds } from '../time.js';
import type { AppDeps } from './deps.js';

/** `GET /organization/usage/completions`: model usage by time bucket, project and model. */

export type BucketWidth = '1m' | '1h' | '1d';

const WIDTH_S: Record<BucketWidth, number> = { '1m': 60, '1h': 3_600, '1d': 86_400 };
/** OpenAI's default and largest number of buckets a page holds. */
const BUCKETS: Record<BucketWidth, { fallback: number; max: number }> = { '1m': { fallback: 60, max: 1440 }, '1h': { fallback: 24, max: 168 }, '1d': { fallback: 7, max: 31 } };

export interface UsageRequest {
  startTime: number;
  /** Exclusive; unset: up to now, this second included (timestamps are whole seconds). */
  endTime?: number;
  width: BucketWidth;
  groupBy: ('project_id' | 'model')[];
  projectIds?: string[];
  models?: string[];
  limit?: number;
  /** The previous page's `next_page`. */
  page?: string;
}

/**
 * Buckets start on whole minutes, hours or days (UTC), as OpenAI's do, from the one holding
 * `start_time`; every bucket of a page is listed, empty ones too. A page holds `limit` buckets
 * and `next_page` names the first bucket of the next.
 */
export async function completionsUsage({ db }: Pick<AppDeps, 'db'>, q: UsageRequest): Promise<{ buckets: UsageBucket[]; nextPage: string | null }> {
  const width = WIDTH_S[q.width];
  const { fallback, max } = BUCKETS[q.width];
  if (q.limit !== undefined && q.limit > max) {
    throw new InvalidInputError(`Invalid 'limit': integer above maximum value. Expected a value <= ${max}, but got ${q.limit} instead.`, 'limit', 'integer_above_max_value');
  }
  const end = q.endTime ?? nowSeconds() + 1;
  if (end <= q.startTime) throw new InvalidInputError("Invalid 'end_time': it must be after 'start_time'.", 'end_time', 'invalid_value');
  const origin = Math.floor(q.startTime / width) * width;
  const first = q.page === undefined ? origin : pageStart(q.page, origin, end, width);
  const count = Math.min(q.limit ?? fallback, Math.ceil((end - first) / width));
  const last = first + count * width;
  const rows = await completionUsage(db, {
    from: Math.max(first, q.startTime),
    to: Math.min(last, end),
    origin,
    width,
    byProject: q.groupBy.includes('project_id'),
    byModel: q.groupBy.includes('model'),
    projectIds: q.projectIds,
    models: q.models,
  });
  const buckets = Array.from({ length: count }, (_, i): UsageBucket => {
    const startTime = first + i * width;
    return { startTime, endTime: startTime + width, rows: rows.filter((r) => r.bucket === startTime) };
  });
  return { buckets, nextPage: last < end ? Buffer.from(String(last)).toString('base64url') : null };
}

/** A `next_page` this query could have given: a bucket's start within its range. */
function pageStart(page: string, origin: number, end: number, width: number): number {
  const start = Number(Buffer.from(page, 'base64url').toString());
  if (!Number.isInteger(start) || start < origin || start >= end || (start - origin) % width !== 0) {
    throw new InvalidInputError(`Invalid 'page': '${page}' is not a page of this query.`, 'page', 'invalid_value');
  }
  return start;
}
