import type Koa from 'koa';
import type { RunCreateParamsBase } from 'openai/resources/beta/threads/runs/runs';
import type { ThreadCreateAndRunParamsBase } from 'openai/resources/beta/threads/threads';
import type { ToolOutput } from '../../../activities/index.js';
import type { RunRecord } from '../../db/records.js';
import { newId } from '../../ids.js';
import type { Deps } from '../../services/deps.js';
import { createRun, createThreadAndRun, getRun, submitToolOutputs } from '../../services/runs.js';
import { endsStream, errorEvent, runEvent, threadCreated, type StreamEvent } from '../../wire/stream-events.js';
import { sendEventStream } from '../sse.js';

export type StreamRequest =
  | { kind: 'create'; threadId: string; input: RunCreateParamsBase }
  | { kind: 'createAndRun'; input: ThreadCreateAndRunParamsBase }
  | { kind: 'submit'; threadId: string; runId: string; outputs: ToolOutput[] };

/**
 * `stream: true`: the run's events as SSE (docs/wire-contract.md §4). It listens to the run's
 * events before the run starts or resumes; errors found before that (404, 400, active run) are
 * ordinary JSON responses. A client that goes away only stops the forwarding: the run goes on.
 */
export async function streamRun(ctx: Koa.Context, deps: Deps, req: StreamRequest): Promise<void> {
  // Only a run that exists gets a channel (the id comes from the URL).
  const runId = req.kind === 'submit' ? (await getRun(deps, req.threadId, req.runId)).id : newId('run');
  const subscription = await deps.events.subscribe(runId);
  const opening: StreamEvent[] = [];
  try {
    if (req.kind === 'submit') {
      await submitToolOutputs(deps, req.threadId, runId, req.outputs);
    } else {
      let run: RunRecord;
      if (req.kind === 'create') run = await createRun(deps, req.threadId, req.input, runId);
      else {
        const created = await createThreadAndRun(deps, req.input, runId);
        opening.push(threadCreated(created.thread));
        run = created.run;
      }
      opening.push(runEvent('created', run), runEvent('queued', run));
    }
  } catch (err) {
    await subscription.close();
    throw err;
  }
  await sendEventStream(ctx, {
    opening,
    source: subscription,
    isLast: (e) => endsStream(e as StreamEvent),
    interrupted: errorEvent('The event stream was interrupted; the run goes on. Retrieve it to see its state.'),
    log: (ctx.state.log as Deps['log']).child({ run_id: runId }),
  });
}
