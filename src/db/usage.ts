import { firstIdAt } from '../ids.js';
import { Prisma } from '../generated/prisma/client.js';
import type { Tx } from './client.js';

/** The admin API's completions usage (src/services/usage.ts), from the rows runs and responses keep. */

export interface UsageQuery {
  /** [from, to) in unix seconds. */
  from: number;
  to: number;
  /** Buckets are `width` seconds long, from `origin`. */
  origin: number;
  width: number;
  byProject: boolean;
  byModel: boolean;
  projectIds?: string[];
  models?: string[];
}

export interface UsageRow {
  bucket: number;
  projectId: string | null;
  model: string | null;
  inputTokens: number;
  outputTokens: number;
  requests: number;
}

/** One bucket of a page, with its rows. */
export interface UsageBucket {
  startTime: number;
  endTime: number;
  rows: UsageRow[];
}

/**
 * Ids are time-ordered (src/ids.ts): each table is read from the first id made a minute before
 * `from` (an id is made moments before its row's `created_at`), so the primary key skips older rows.
 */
const MARGIN_S = 60;

/**
 * Tokens and model requests by bucket (and project, model), summed from what runs and responses
 * stored: a model request is one model call of a run (a run step that carries `model_usage`; a
 * retried call replaced its step, so it counts once), counted at the step's `created_at`, or
 * one response (its turns' usage is summed on its row), at the response's.
 */
export async function completionUsage(db: Tx, q: UsageQuery): Promise<UsageRow[]> {
  const filters = Prisma.sql`${q.projectIds ? Prisma.sql`AND project_id = ANY(${q.projectIds}::text[])` : Prisma.empty}
    ${q.models ? Prisma.sql`AND model = ANY(${q.models}::text[])` : Prisma.empty}`;
  const rows = await db.$queryRaw<(Omit<UsageRow, 'inputTokens' | 'outputTokens' | 'requests'> & { inputTokens: bigint; outputTokens: bigint; requests: bigint })[]>`
    WITH calls AS (
      SELECT r.project_id, r.model, s.created_at AS at, s.model_usage AS usage
      FROM run_steps s JOIN runs r ON r.id = s.run_id
      WHERE s.model_usage IS NOT NULL AND s.id >= ${firstIdAt('step', q.from - MARGIN_S)} AND s.created_at >= ${q.from}::int AND s.created_at < ${q.to}::int
      UNION ALL
      SELECT project_id, model, created_at, usage FROM responses
      WHERE usage IS NOT NULL AND id >= ${firstIdAt('response', q.from - MARGIN_S)} AND created_at >= ${q.from}::int AND created_at < ${q.to}::int
    )
    SELECT ${q.origin}::int + (at - ${q.origin}::int) / ${q.width}::int * ${q.width}::int AS bucket,
      ${q.byProject ? Prisma.sql`project_id` : Prisma.sql`NULL::text`} AS "projectId",
      ${q.byModel ? Prisma.sql`model` : Prisma.sql`NULL::text`} AS model,
      sum((usage->>'prompt_tokens')::bigint) AS "inputTokens",
      sum((usage->>'completion_tokens')::bigint) AS "outputTokens",
      count(*) AS requests
    FROM calls WHERE true ${filters}
    GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`;
  return rows.map((r) => ({ ...r, inputTokens: Number(r.inputTokens), outputTokens: Number(r.outputTokens), requests: Number(r.requests) }));
}
