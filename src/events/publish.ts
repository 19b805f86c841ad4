import { randomBytes } from 'node:crypto';
import type { Db } from '../db/client.js';
import { Prisma } from '../generated/prisma/client.js';
import type { StreamEvent } from '../wire/stream-events.js';

/** What a channel carries: an SSE frame's name and data (Assistants' StreamEvent, or a Responses event). */
export interface Frame {
  event: string;
  data: unknown;
}

/*
 * Run events (the SSE frames of src/wire/stream-events.ts) travel from the worker's activities
 * to the API's streams by Postgres NOTIFY, never through workflow history. A NOTIFY sent inside a
 * transaction is delivered at commit, so a snapshot event goes out exactly when its state is
 * visible; Postgres delivers notifications in commit order, so one run's events keep their order.
 */

export type Sql = Pick<Db, '$executeRaw'> | Prisma.TransactionClient;

/** One channel per run: a stream LISTENs only to the run it serves. */
export const channelOf = (runId: string) => `events_${runId}`;

/** NOTIFY payloads must stay under 8000 bytes; larger events go in numbered parts. */
const PART_CHARS = 1800; // ≤ 4 bytes per UTF-16 unit in UTF-8 keeps a part under 7.2 kB

export function encode(e: Frame): string[] {
  const json = JSON.stringify(e);
  if (json.length <= PART_CHARS) return [`w|${json}`];
  const slices: string[] = [];
  for (let start = 0; start < json.length; ) {
    let end = Math.min(start + PART_CHARS, json.length);
    // Never split a surrogate pair (an emoji): each part must be a valid string on its own.
    if (end < json.length && /[\uD800-\uDBFF]/.test(json[end - 1]!)) end--;
    slices.push(json.slice(start, end));
    start = end;
  }
  const id = randomBytes(6).toString('hex');
  return slices.map((slice, i) => `p|${id}|${i}|${slices.length}|${slice}`);
}

/**
 * The NOTIFY of `events`, in one query: unnest keeps their order, and so does delivery. A
 * statement of its own (`publish`), or the end of one that writes first (`WITH … ${notifying}`),
 * sent only `when` that holds (say, when the write changed a row).
 */
export function notifying(runId: string, events: Frame[], when: Prisma.Sql = Prisma.sql`true`): Prisma.Sql {
  return Prisma.sql`SELECT pg_notify(${channelOf(runId)}, p) FROM unnest(${events.flatMap(encode)}::text[]) WITH ORDINALITY AS t(p, i) WHERE ${when} ORDER BY i`;
}

export async function publish(sql: Sql, runId: string, events: StreamEvent[]): Promise<void> {
  if (events.length) await sql.$executeRaw(notifying(runId, events));
}

/** Reassembles parted payloads; returns the event once whole. One decoder per listening connection. */
export class EventDecoder {
  private readonly parts = new Map<string, string[]>();

  decode(payload: string): StreamEvent | undefined {
    if (payload.startsWith('w|')) return JSON.parse(payload.slice(2)) as StreamEvent;
    const [, id, i, n] = payload.split('|', 4) as [string, string, string, string];
    const body = payload.slice(`p|${id}|${i}|${n}|`.length);
    const got = this.parts.get(id) ?? [];
    got[Number(i)] = body;
    if (got.filter((p) => p !== undefined).length < Number(n)) {
      this.parts.set(id, got);
      return undefined;
    }
    this.parts.delete(id);
    return JSON.parse(got.join('')) as StreamEvent;
  }
}
