import type { ResponseOutputItem } from 'openai/resources/responses/responses';
import type { Tx } from '../src/db/client.js';
import { appendItems } from '../src/db/conversation-items.js';
import type { Usage } from '../src/db/records.js';
import * as responses from '../src/db/responses.js';
import type { Db } from '../src/db/client.js';
import { nowSeconds } from '../src/time.js';
import { responseToWire } from '../src/wire/response.js';
import { endEvent, lifecycleEvent, numbered, type UnnumberedEvent } from '../src/wire/response-events.js';
import type { ResponseTurnResult } from './types.js';

/**
 * How a response ends. `completed` and `incomplete` carry its whole output and usage, or none:
 * then it ends with what its turns stored (a turn that called functions beside server tools).
 */
export type ResponseEnd =
  | { status: 'completed' | 'incomplete'; output?: ResponseOutputItem[]; usage?: Usage }
  | { status: 'failed'; error: { code: string; message: string } }
  | { status: 'cancelled' };

/**
 * Ends an active response in one transaction: its row, its output appended to its conversation,
 * `closing` (the events closing open items) and the end event, numbered from `next` (read
 * when not given). Then only a background response keeps its events, and `store: false`
 * keeps nothing. Null when the response had already ended.
 */
export async function endResponse(tx: Tx, id: string, end: ResponseEnd, closing: UnnumberedEvent[] = [], next?: number): Promise<responses.ResponseRecord | null> {
  const now = nowSeconds();
  const row = await responses.updateActiveResponse(tx, id, {
    status: end.status,
    ...(end.status === 'completed' || end.status === 'incomplete'
      ? { ...(end.output && { output: end.output, usage: end.usage }), incompleteDetails: end.status === 'incomplete' ? { reason: 'max_output_tokens' } : undefined }
      : {}),
    ...(end.status === 'failed' ? { error: { code: end.error.code, message: end.error.message } } : {}),
    ...(end.status === 'completed' ? { completedAt: now } : {}),
  });
  if (!row) return null;
  if (row.conversationId && (end.status === 'completed' || end.status === 'incomplete')) {
    await appendItems(tx, row.conversationId, row.output as never[], now);
  }
  const seq = next ?? (await responses.eventCursor(tx, id)).last + 1;
  await responses.appendEvents(tx, id, numbered([...closing, endEvent(responseToWire(row))], seq));
  if (!row.store) await responses.deleteResponse(tx, id);
  else if (!row.background) await responses.dropEvents(tx, id);
  return row;
}

/**
 * A turn that called server tools: its items join the output (the calls about to run), its
 * usage adds to the response's, and its closing events go out; the response stays in progress.
 */
export async function saveTurn(tx: Tx, id: string, output: ResponseOutputItem[], usage: Usage, events: UnnumberedEvent[], next: number): Promise<void> {
  const row = await responses.updateActiveResponse(tx, id, { output, usage });
  if (row) await responses.appendEvents(tx, id, numbered(events, next));
}

/** Usage of the turns so far and of one more. */
export const addUsage = (a: Usage | null, b: Usage): Usage =>
  a ? { prompt_tokens: a.prompt_tokens + b.prompt_tokens, completion_tokens: a.completion_tokens + b.completion_tokens, total_tokens: a.total_tokens + b.total_tokens } : b;

/** How a response's turn began: where its stream stands, or what the workflow is to hear instead. */
export type ResponseBegun = { kind: 'ok'; next: number; items: number } | { kind: 'not-started'; result: ResponseTurnResult };

/** The response's status writes, each one transaction publishing its events. */
export function responseStateActivities(db: Db) {
  return {
    /** queued → in_progress (once: `response.in_progress` is published a single time), and where the stream stands. */
    async beginResponse(id: string): Promise<ResponseBegun> {
      return db.$transaction(async (tx) => {
        const row = await responses.updateActiveResponse(tx, id, { status: 'in_progress' });
        if (!row) {
          const now = await responses.responseById(tx, id);
          return { kind: 'not-started', result: now ? { kind: 'ended', status: now.status } : { kind: 'gone' } };
        }
        const cursor = await responses.eventCursor(tx, id);
        let next = cursor.last + 1;
        if (!cursor.inProgress) await responses.appendEvents(tx, id, numbered([lifecycleEvent('in_progress', responseToWire(row))], next++));
        return { kind: 'ok', next, items: cursor.items };
      });
    },

    /** Ends the response as the workflow decides (failed, cancelled, or completed as stored); a response already ended stays as it is. */
    async finishResponse(id: string, end: ResponseEnd): Promise<void> {
      await db.$transaction((tx) => endResponse(tx, id, end));
    },
  };
}
