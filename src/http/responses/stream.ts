import type Koa from 'koa';
import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
import type { Frame } from '../../events/publish.js';
import type { Subscription } from '../../events/subscriber.js';
import { newId } from '../../ids.js';
import type { Deps } from '../../services/deps.js';
import { createResponse, eventsOf, type ResponseInput } from '../../services/responses.js';
import { ENDING_EVENTS } from '../../wire/response-events.js';
import { sendEventStream, type SseEvent } from '../sse.js';

const isLast = (e: SseEvent) => ENDING_EVENTS.has(e.event);
const sequenceOf = (e: SseEvent) => (e.data as ResponseStreamEvent).sequence_number;

const interrupted = (sequence_number: number): SseEvent => ({
  event: 'error',
  data: { type: 'error', code: 'server_error', message: 'The event stream was interrupted; the response goes on. Retrieve it to see its state.', param: null, sequence_number },
});

/** Listens on a new response's channel, then creates it: nothing it publishes is missed. */
async function listenAndCreate(deps: Deps, input: ResponseInput): Promise<{ id: string; subscription: Subscription }> {
  const id = newId('response');
  const subscription = await deps.events.subscribe(id);
  try {
    await createResponse(deps, input, id);
  } catch (err) {
    await subscription.close();
    throw err;
  }
  return { id, subscription };
}

/** `stream: true`: the response's events as they are published, from `response.created` to its end. */
export async function streamResponse(ctx: Koa.Context, deps: Deps, input: ResponseInput): Promise<void> {
  const { id, subscription } = await listenAndCreate(deps, input);
  await sendEventStream(ctx, { opening: [], source: subscription, isLast, interrupted: interrupted(0), log: (ctx.state.log as Deps['log']).child({ response_id: id }) });
}

/** A foreground response without a stream: answered with the response its last event carries. */
export async function awaitResponse(deps: Deps, input: ResponseInput): Promise<unknown> {
  const { subscription } = await listenAndCreate(deps, input);
  try {
    for await (const e of subscription as AsyncIterable<Frame>) if (isLast(e)) return (e.data as { response?: unknown }).response ?? e.data;
    throw new Error('The response stream ended before the response did');
  } finally {
    await subscription.close();
  }
}

/**
 * `GET /responses/{id}?stream=true&starting_after=N`: a background response's stored events
 * after N, then its live ones (listened to before the stored ones are read, each sent once) —
 * by any API process, after any restart.
 */
export async function resumeStream(ctx: Koa.Context, deps: Deps, id: string, after: number): Promise<void> {
  const subscription = await deps.events.subscribe(id);
  let stored: Awaited<ReturnType<typeof eventsOf>>;
  try {
    stored = await eventsOf(deps, id, after);
  } catch (err) {
    await subscription.close();
    throw err;
  }
  const opening: SseEvent[] = stored.events.map((e) => ({ event: e.type, data: e }));
  const last = opening.length ? sequenceOf(opening.at(-1)!) : after;
  const ended = opening.some(isLast) || !['queued', 'in_progress'].includes(stored.response.status);
  await sendEventStream(ctx, {
    opening,
    source: ended ? { async *[Symbol.asyncIterator]() {}, close: () => subscription.close() } : newerThan(subscription, last),
    isLast,
    interrupted: interrupted(last + 1),
    log: (ctx.state.log as Deps['log']).child({ response_id: id }),
  });
}

/** The live events not already sent from the table. */
function newerThan(subscription: Subscription, last: number): AsyncIterable<SseEvent> & { close(): Promise<void> } {
  return {
    async *[Symbol.asyncIterator]() {
      for await (const e of subscription as AsyncIterable<Frame>) if (sequenceOf(e) > last) yield e;
    },
    close: () => subscription.close(),
  };
}
