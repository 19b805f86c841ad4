import type { ResponseStream } from 'openai/lib/responses/ResponseStream';
import type { ResponseStreamEvent } from 'openai/resources/responses/responses';

/** Every event of a `responses.stream()` in order, and the response the SDK accumulated. */
export async function recordStream<T>(stream: ResponseStream<T>) {
  const events: ResponseStreamEvent[] = [];
  stream.on('event', (e) => events.push(e));
  const final = await stream.finalResponse();
  return { events, final };
}

/** The events' types in order, each run of one kind of delta counted once. */
export const eventTypes = (events: readonly ResponseStreamEvent[]) => events.map((e) => e.type).filter((t, i, all) => !(t.endsWith('.delta') && all[i - 1] === t));
