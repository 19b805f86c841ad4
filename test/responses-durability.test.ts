/**
 * A background response is as durable as a run: its stream resumes from any sequence number
 * after the API that served it is SIGKILLed mid-stream, from another API process. Own task
 * queue, API and worker processes, as test/durability.test.ts has.
 */
import OpenAI from 'openai';
import { expect, it } from 'vitest';
import { llm, uniqueModel } from './support/client.js';
import { startForTest } from './support/services.js';

const start = startForTest;

type Event = { type: string; sequence_number: number; delta?: string };

it('a background stream resumes after the API is killed mid-stream, missing and repeating nothing', async () => {
  const queue = { TEMPORAL_TASK_QUEUE: `responses-${uniqueModel('q')}`, API_WORKER: 'false' };
  const api = await start('api', queue);
  await start('worker', queue);
  const model = uniqueModel('durable-resp');
  const answer = Array.from({ length: 40 }, (_, i) => `w${i}`).join(' ');
  await llm().script(model, [{ text: answer, chunkSize: 4, delayMs: 40 }]);
  const openai = new OpenAI({ baseURL: api.url, apiKey: 'EMPTY', maxRetries: 0 });

  const stream = await openai.responses.create({ model, input: 'long answer', background: true, stream: true });
  const seen: Event[] = [];
  const reading = (async () => {
    try {
      for await (const e of stream as AsyncIterable<Event>) seen.push(e);
    } catch {
      // the API dies under it
    }
  })();
  while (seen.filter((e) => e.type === 'response.output_text.delta').length < 3) await new Promise((r) => setTimeout(r, 20));
  await api.stop(true);
  await reading;
  const id = (seen[0] as unknown as { response: { id: string } }).response.id;
  const last = seen.at(-1)!.sequence_number;

  const again = await start('api', queue);
  const reopened = new OpenAI({ baseURL: again.url, apiKey: 'EMPTY', maxRetries: 0 });
  const rest: Event[] = [];
  for await (const e of (await reopened.responses.retrieve(id, { stream: true, starting_after: last } as never)) as unknown as AsyncIterable<Event>) rest.push(e);
  const all = [...seen, ...rest];
  expect(all.map((e) => e.sequence_number)).toEqual(all.map((_, i) => i));
  expect(all.at(-1)!.type).toBe('response.completed');
  expect(all.flatMap((e) => (e.type === 'response.output_text.delta' ? [e.delta] : [])).join('')).toBe(answer);
  expect((await reopened.responses.retrieve(id)).output_text).toBe(answer);
}, 180_000);
