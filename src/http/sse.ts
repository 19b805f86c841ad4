import type Koa from 'koa';
import type { z } from 'zod';
import type { Run } from '../generated/prisma/client.js';
import type { RunEvent } from '../events/publish.js';
import type { Subscription } from '../events/subscriber.js';
import { newId } from '../ids.js';
import type { Deps } from '../services/deps.js';
import { createRun, createThreadAndRun, getRun, submitToolOutputs, type RunCreate, type ThreadAndRunCreate, type ToolOutputsSubmit } from '../services/runs.js';
import { runToWire } from '../wire/run.js';
import { threadToWire } from '../wire/thread.js';

export type StreamRequest =
  | { kind: 'create'; threadId: string; input: RunCreate }
  | { kind: 'createAndRun'; input: ThreadAndRunCreate }
  | { kind: 'submit'; threadId: string; runId: string; outputs: z.output<typeof ToolOutputsSubmit>['tool_outputs'] };

/** After these the stream ends with `done`: the run is over, or waits for tool outputs. */
const LAST_EVENTS = new Set(['requires_action', 'completed', 'failed', 'cancelled', 'expired', 'incomplete'].map((s) => `thread.run.${s}`));
const KEEP_ALIVE_MS = 15_000;

/**
 * `stream: true`: OpenAI's Server-Sent Events (openai-contract.md §4). It listens to the run's
 * events before the run starts or resumes; errors found before that (404, 400, active run) are
 * ordinary JSON responses. A client that goes away only stops the forwarding: the run goes on.
 */
export async function streamRun(ctx: Koa.Context, deps: Deps, req: StreamRequest): Promise<void> {
  // Only a run that exists gets a channel (the id comes from the URL).
  const runId = req.kind === 'submit' ? (await getRun(deps, req.threadId, req.runId)).id : newId('run');
  const subscription = await deps.events.subscribe(runId);
  const opening: RunEvent[] = [];
  try {
    if (req.kind === 'submit') {
      await submitToolOutputs(deps, req.threadId, runId, req.outputs);
    } else {
      let run: Run;
      if (req.kind === 'create') run = await createRun(deps, req.threadId, req.input, runId);
      else {
        const created = await createThreadAndRun(deps, req.input, runId);
        opening.push({ event: 'thread.created', data: threadToWire(created.thread) });
        run = created.run;
      }
      const wire = runToWire(run);
      opening.push({ event: 'thread.run.created', data: wire }, { event: 'thread.run.queued', data: wire });
    }
  } catch (err) {
    await subscription.close();
    throw err;
  }
  ctx.respond = false;
  ctx.status = 200;
  const res = ctx.res;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-request-id': String(ctx.response.get('x-request-id')),
  });
  res.flushHeaders();
  await forward(res, subscription, opening, runId, ctx.state.log);
}

async function forward(res: Koa.Context['res'], subscription: Subscription, opening: RunEvent[], runId: string, log: Deps['log']) {
  const write = (e: RunEvent) => res.write(`event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`);
  const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
  const gone = () => void subscription.close();
  res.once('close', gone);
  try {
    for (const e of opening) write(e);
    for await (const e of subscription) {
      if (res.destroyed) break;
      write(e);
      if (LAST_EVENTS.has(e.event)) break;
    }
    if (!res.destroyed) res.write('event: done\ndata: [DONE]\n\n');
  } catch (err) {
    log.error({ err, run_id: runId }, 'stream failed');
    // Both SDKs raise on an `error` event that has a top-level `error` key.
    write({ event: 'error', data: { error: { message: 'The event stream was interrupted; the run goes on. Retrieve it to see its state.', type: 'server_error', param: null, code: 'server_error' } } });
  } finally {
    clearInterval(keepAlive);
    res.off('close', gone);
    // The client has its last event; UNLISTEN need not hold the response open.
    res.end();
    await subscription.close();
  }
}
