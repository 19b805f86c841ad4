/**
 * A worker thread of section a: `clients` official-SDK clients against our API, each on a
 * thread (conversation) of its own, looping one run after another until the shared ticket
 * counter reaches `total` (the main thread raises it to stop them). A run is either created and
 * then polled with `runs.retrieve` every `pollMs`, or created with `stream: true` and read to its end.
 */
import OpenAI from 'openai';
import { parentPort, workerData } from 'node:worker_threads';

export interface ClientsData {
  apiUrl: string;
  assistantId: string;
  clients: number;
  mode: 'poll' | 'stream';
  pollMs: number;
  /** Int32Array over it: [0] the next ticket; a client stops once tickets reach `total`. */
  tickets: SharedArrayBuffer;
  total: number;
}

export type ClientsMessage =
  | { type: 'ready' }
  /** `end` is wall-clock ms (with sub-ms precision), comparable across threads. */
  | { type: 'run'; end: number; ms: number; polls: number; status: string }
  | { type: 'error'; end: number; message: string }
  /** Every client has stopped; the main thread terminates the thread. */
  | { type: 'done' };

const TERMINAL = new Set(['completed', 'failed', 'cancelled', 'expired', 'incomplete', 'requires_action']);
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const data = workerData as ClientsData;
const port = parentPort!;
const post = (m: ClientsMessage) => port.postMessage(m);
const tickets = new Int32Array(data.tickets);
const openai = new OpenAI({ baseURL: data.apiUrl, apiKey: 'bench', maxRetries: 0, timeout: 60_000 });

const threads = await Promise.all(
  Array.from({ length: data.clients }, () => openai.beta.threads.create({ messages: [{ role: 'user', content: 'Say hi.' }] })),
);
const go = new Promise<void>((resolve) => port.once('message', () => resolve()));
post({ type: 'ready' });
await go;

async function oneRun(threadId: string): Promise<{ status: string; polls: number }> {
  if (data.mode === 'stream') {
    const run = await openai.beta.threads.runs.stream(threadId, { assistant_id: data.assistantId }).finalRun();
    return { status: run.status, polls: 0 };
  }
  let run = await openai.beta.threads.runs.create(threadId, { assistant_id: data.assistantId });
  let polls = 0;
  while (!TERMINAL.has(run.status)) {
    await sleep(data.pollMs);
    run = await openai.beta.threads.runs.retrieve(run.id, { thread_id: threadId });
    polls++;
  }
  return { status: run.status, polls };
}

await Promise.all(
  threads.map(async (thread) => {
    while (Atomics.add(tickets, 0, 1) < data.total) {
      const t0 = now();
      try {
        const { status, polls } = await oneRun(thread.id);
        const end = now();
        post({ type: 'run', end, ms: end - t0, polls, status });
      } catch (err) {
        post({ type: 'error', end: now(), message: (err as Error).message });
        await sleep(500);
      }
    }
  }),
);
post({ type: 'done' });
