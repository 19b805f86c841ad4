import type Koa from 'koa';
import type { RunCreateParamsBase } from 'openai/resources/beta/threads/runs/runs';
import type { ThreadCreateAndRunParamsBase } from 'openai/resources/beta/threads/threads';
import type { ToolOutput } from '../../../activities/index.js';
import type { RunEvent } from '../../events/publish.js';
import type { Run } from '../../generated/prisma/client.js';
import { newId } from '../../ids.js';
import type { Deps } from '../../services/deps.js';
import { createRun, createThreadAndRun, getRun, submitToolOutputs } from '../../services/runs.js';
import { runToWire } from '../../wire/run.js';
import { threadToWire } from '../../wire/thread.js';
import { sendEventStream } from '../sse.js';

export type StreamRequest =
  | { kind: 'create'; threadId: string; input: RunCreateParamsBase }
  | { kind: 'createAndRun'; input: ThreadCreateAndRunParamsBase }
  | { kind: 'submit'; threadId: string; runId: string; outputs: ToolOutput[] };

/** After these the stream ends with `done`: the run is over, or waits for tool outputs. */
const LAST_EVENTS = new Set(['requires_action', 'completed', 'failed', 'cancelled', 'expired', 'incomplete'].map((s) => `thread.run.${s}`));

/**
 * `stream: true`: the run's events as SSE (openai-contract.md §4). It listens to the run's
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
  await sendEventStream(ctx, {
    opening,
    source: subscription,
    isLast: (e) => LAST_EVENTS.has(e.event),
    interrupted: 'The event stream was interrupted; the run goes on. Retrieve it to see its state.',
    log: (ctx.state.log as Deps['log']).child({ run_id: runId }),
  });
}
