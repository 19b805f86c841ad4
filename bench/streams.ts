/**
 * Section f: many SSE streams open at once on one API process. Every stream is a run whose
 * model holds its first token until all are open, so they are open together; the API's RSS is
 * read then, and each stream must deliver its run's whole answer and `done`.
 */
import OpenAI from 'openai';
import { rssMb, sleep } from './lib.js';

export interface StreamsResult {
  opened: number;
  /** The API's RSS before the first stream, and its peak while they were open. */
  idleMb: number;
  peakMb: number;
  /** Streams that delivered their own run's whole answer and ended with the run completed. */
  delivered: number;
  failures: string[];
  openSeconds: number;
}

/** The gauge the API keeps (src/metrics.ts): streams open right now. */
async function openNow(apiUrl: string): Promise<number> {
  const text = await (await fetch(`${apiUrl}/metrics`)).text();
  // 0 when the answer has no such line (an overloaded API answering an error).
  return Number(/^assistants_open_streams (\S+)$/m.exec(text)?.[1] ?? 0);
}

export async function manyStreams(opts: { apiUrl: string; apiPid: number; assistantId: string; count: number; answer: (i: number) => string; holdMs: number; openingAtOnce: number }): Promise<StreamsResult> {
  const openai = new OpenAI({ baseURL: opts.apiUrl, apiKey: 'bench', maxRetries: 0, timeout: opts.holdMs + 120_000 });
  const idleMb = await rssMb(opts.apiPid);
  const failures: string[] = [];
  let delivered = 0;
  let peakMb = idleMb;
  let opened = 0;
  const t0 = performance.now();
  // At most `openingAtOnce` requests wait for their run to be created; an open stream frees its place.
  let opening = 0;
  const places: (() => void)[] = [];
  const take = () => (opening < opts.openingAtOnce ? (opening++, Promise.resolve()) : new Promise<void>((resolve) => places.push(() => (opening++, resolve()))));
  const free = () => {
    opening--;
    places.shift()?.();
  };
  const streams = Array.from({ length: opts.count }, async (_, i) => {
    await take();
    let freed = false;
    const release = () => {
      if (!freed) (freed = true), free();
    };
    try {
      const stream = openai.beta.threads.createAndRunStream({ assistant_id: opts.assistantId, thread: { messages: [{ role: 'user', content: `stream ${i}` }] } });
      let text = '';
      stream.on('event', (e) => e.event === 'thread.run.created' && release());
      stream.on('textDelta', (d) => (text += d.value ?? ''));
      const run = await stream.finalRun();
      if (run.status === 'completed' && text === opts.answer(i)) delivered++;
      else failures.push(`stream ${i}: run ${run.status} ${JSON.stringify(run.last_error)}, text ${JSON.stringify(text.slice(0, 40))}`);
    } catch (err) {
      failures.push(`stream ${i}: ${(err as Error).message.slice(0, 120)}`);
    } finally {
      release();
    }
  });
  // Sample until every stream is open (or the hold is over), then a little longer.
  const until = performance.now() + opts.holdMs;
  while (performance.now() < until) {
    opened = Math.max(opened, await openNow(opts.apiUrl));
    peakMb = Math.max(peakMb, await rssMb(opts.apiPid));
    if (opened >= opts.count) break;
    await sleep(250);
  }
  const openSeconds = (performance.now() - t0) / 1000;
  for (let k = 0; k < 8; k++) {
    peakMb = Math.max(peakMb, await rssMb(opts.apiPid));
    await sleep(250);
  }
  await Promise.all(streams);
  return { opened, idleMb, peakMb, delivered, failures, openSeconds };
}
