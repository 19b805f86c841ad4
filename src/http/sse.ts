import type Koa from 'koa';
import type { Logger } from '../log.js';
import { metrics } from '../metrics.js';

/** One Server-Sent Event: its name and its JSON data. */
export interface SseEvent {
  event: string;
  data: unknown;
}

export interface EventStream {
  /** Sent before anything from `source`. */
  opening: SseEvent[];
  /** Closed when the stream ends or the client goes away. */
  source: AsyncIterable<SseEvent> & { close(): Promise<void> };
  /** After this event the stream ends with `done`. */
  isLast: (e: SseEvent) => boolean;
  /** Sent instead of `done` when `source` fails mid-stream. */
  interrupted: SseEvent;
  log: Logger;
}

const KEEP_ALIVE_MS = 15_000;

/**
 * Takes the response over and writes OpenAI's Server-Sent Events framing (docs/wire-contract.md
 * §4): the events, keep-alive comments, and `done` after the last one.
 */
export async function sendEventStream(ctx: Koa.Context, stream: EventStream): Promise<void> {
  ctx.respond = false;
  ctx.status = 200;
  const res = ctx.res;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-request-id': String(ctx.response.get('x-request-id')),
    'openai-processing-ms': String(Math.round(performance.now() - (ctx.state.started as number))),
  });
  res.flushHeaders();
  metrics.openStreams.inc();
  try {
    await forward(res, stream);
  } finally {
    metrics.openStreams.dec();
  }
}

async function forward(res: Koa.Context['res'], { opening, source, isLast, interrupted, log }: EventStream) {
  // Events that arrive together (one NOTIFY batch: a step's and its message's openings, a run's
  // end) leave in one socket write: corked until the loop has taken all that were queued.
  const write = (e: SseEvent) => {
    if (!res.writableCorked) {
      res.cork();
      process.nextTick(() => res.uncork());
    }
    res.write(`event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`);
  };
  const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
  const gone = () => void source.close();
  res.once('close', gone);
  try {
    for (const e of opening) write(e);
    for await (const e of source) {
      if (res.destroyed) break;
      write(e);
      if (isLast(e)) break;
    }
    if (!res.destroyed) res.write('event: done\ndata: [DONE]\n\n');
  } catch (err) {
    log.error({ err }, 'stream failed');
    write(interrupted);
  } finally {
    clearInterval(keepAlive);
    res.off('close', gone);
    // The client has its last event; closing the source need not hold the response open.
    res.end();
    await source.close();
  }
}
