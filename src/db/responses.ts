import type { ResponseError, ResponseInputItem, ResponseOutputItem, ResponseStreamEvent } from 'openai/resources/responses/responses';
import { NotFoundError } from '../errors.js';
import { notifying } from '../events/publish.js';
import { Prisma, type Response as ResponseRow } from '../generated/prisma/client.js';
import type { Db, Tx } from './client.js';
import { columnsOf, setList } from './raw.js';
import type { ToolFile, Usage } from './records.js';

/**
 * The `responses` and `response_events` tables. Statements on a response's path to its first
 * token and its end are raw, as a run's are (src/db/raw.ts).
 */

type Sql = Pick<Db, '$queryRaw' | '$executeRaw'> | Tx;

/** An input item as stored: every item has its id (`msg_…`, `fc_…`), as input_items lists it. */
export type StoredInputItem = ResponseInputItem & { id: string };

/** The request fields echoed on the wire that nothing else reads (prisma/schema.prisma `request`). */
export interface EchoedRequest {
  tools: unknown[];
  tool_choice: unknown;
  parallel_tool_calls: boolean;
  temperature: number | null;
  top_p: number | null;
  max_output_tokens: number | null;
  max_tool_calls: number | null;
  text: { format: Record<string, unknown> };
  reasoning: Record<string, unknown> | null;
  truncation: 'auto' | 'disabled';
  metadata: Record<string, string>;
  user: string | null;
  safety_identifier: string | null;
  prompt_cache_key: string | null;
  include: string[];
}

export type ResponseRecord = Omit<ResponseRow, 'request' | 'tools' | 'input' | 'output' | 'toolFiles' | 'usage' | 'error' | 'incompleteDetails'> & {
  request: EchoedRequest;
  tools: import('openai/resources/beta/assistants').AssistantTool[];
  input: StoredInputItem[];
  /** Stored whole: src/wire/response-items.ts shows a server tool's item as `include` asks. */
  output: ResponseOutputItem[];
  toolFiles: ToolFile[];
  usage: Usage | null;
  error: ResponseError | null;
  incompleteDetails: { reason: 'max_output_tokens' | 'content_filter' } | null;
};
const asResponse = (row: ResponseRow): ResponseRecord => row as unknown as ResponseRecord;

const RESPONSE_COLUMNS = columnsOf(Prisma.ResponseScalarFieldEnum);

/** A response's statuses that may still change. */
export const ACTIVE_RESPONSE_STATUSES = ['queued', 'in_progress'] as const;

export async function insertResponse(tx: Tx, data: Prisma.ResponseUncheckedCreateInput): Promise<ResponseRecord> {
  return asResponse(await tx.response.create({ data }));
}

export async function responseById(db: Sql, id: string): Promise<ResponseRecord | null> {
  const [row] = await db.$queryRaw<ResponseRow[]>`SELECT ${RESPONSE_COLUMNS} FROM responses WHERE id = ${id}`;
  return row ? asResponse(row) : null;
}

export async function findResponse(db: Sql, id: string): Promise<ResponseRecord> {
  const row = await responseById(db, id);
  if (!row) throw new NotFoundError('response', id);
  return row;
}

/** The responses `previous_response_id` leads back through, oldest first, ending with `id`. */
export async function responseChain(db: Sql, id: string): Promise<ResponseRecord[]> {
  const rows = await db.$queryRaw<ResponseRow[]>`
    WITH RECURSIVE chain AS (
      SELECT r.*, 0 AS depth FROM responses r WHERE id = ${id}
      UNION ALL SELECT p.*, c.depth + 1 FROM responses p JOIN chain c ON p.id = c.previous_response_id
    ) SELECT ${RESPONSE_COLUMNS} FROM chain ORDER BY depth DESC`;
  return rows.map(asResponse);
}

/** The response, locked for this transaction: its server tool calls write into it one at a time. */
export async function lockResponse(tx: Tx, id: string): Promise<ResponseRecord | null> {
  const [row] = await tx.$queryRaw<ResponseRow[]>`SELECT ${RESPONSE_COLUMNS} FROM responses WHERE id = ${id} FOR UPDATE`;
  return row ? asResponse(row) : null;
}

/** Moves an active response on (`fields` with its new status), returning the new row; null once it has ended. */
export async function updateActiveResponse(tx: Sql, id: string, fields: Partial<Record<keyof ResponseRow, unknown>>): Promise<ResponseRecord | null> {
  const [row] = await tx.$queryRaw<ResponseRow[]>`
    UPDATE responses SET ${setList(fields)} WHERE id = ${id} AND status = ANY(${[...ACTIVE_RESPONSE_STATUSES]}::text[]) RETURNING ${RESPONSE_COLUMNS}`;
  return row ? asResponse(row) : null;
}

export async function deleteResponse(db: Sql, id: string): Promise<void> {
  const count = await db.$executeRaw`DELETE FROM responses WHERE id = ${id}`;
  if (count === 0) throw new NotFoundError('response', id);
}

// ── Stream events, stored with their sequence numbers ───────────────────────────────────

/** Where a response's stream stands: its last sequence number and how many output items it opened. */
export async function eventCursor(db: Sql, id: string): Promise<{ last: number; items: number; inProgress: boolean }> {
  const [row] = await db.$queryRaw<{ last: number; items: number; in_progress: boolean }[]>`
    SELECT coalesce(max(seq), -1)::int AS last,
           (count(*) FILTER (WHERE event->>'type' = 'response.output_item.added'))::int AS items,
           bool_or(event->>'type' = 'response.in_progress') IS TRUE AS in_progress
    FROM response_events WHERE response_id = ${id}`;
  return { last: row!.last, items: row!.items, inProgress: row!.in_progress };
}

/** The `output_index` the stream gave an item when it was added. */
export async function streamIndexOf(db: Sql, id: string, itemId: string): Promise<number | null> {
  const [row] = await db.$queryRaw<{ output_index: number }[]>`
    SELECT (event->>'output_index')::int AS output_index FROM response_events
    WHERE response_id = ${id} AND event->>'type' = 'response.output_item.added' AND event->'item'->>'id' = ${itemId}`;
  return row?.output_index ?? null;
}

export async function eventsAfter(db: Sql, id: string, after: number): Promise<ResponseStreamEvent[]> {
  const rows = await db.$queryRaw<{ event: ResponseStreamEvent }[]>`
    SELECT event FROM response_events WHERE response_id = ${id} AND seq > ${after} ORDER BY seq`;
  return rows.map((r) => r.event);
}

/**
 * Stores the events and NOTIFYs them, in one statement: a stream resumed from the table and
 * one listening live see the same sequence (src/events/publish.ts says why NOTIFY).
 */
export async function appendEvents(sql: Sql, id: string, events: ResponseStreamEvent[]): Promise<void> {
  if (!events.length) return;
  const frames = events.map((e) => ({ event: e.type, data: e }));
  await sql.$executeRaw`
    WITH stored AS (
      INSERT INTO response_events (response_id, seq, event)
      SELECT ${id}, (e->>'sequence_number')::int, e FROM jsonb_array_elements(${JSON.stringify(events)}::jsonb) AS e
    ) ${notifying(id, frames)}`;
}

/** Only a background response's stream can be resumed; a foreground one's events go once it ends. */
export async function dropEvents(sql: Sql, id: string): Promise<void> {
  await sql.$executeRaw`DELETE FROM response_events WHERE response_id = ${id}`;
}
