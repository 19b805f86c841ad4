import type Router from '@koa/router';
import { cancelRun, createRun, createThreadAndRun, getRun, getStep, listRuns, listSteps, submitToolOutputs, updateRun } from '../../services/runs.js';
import { runToWire } from '../../wire/run.js';
import { stepToWire } from '../../wire/step.js';
import { body } from '../body.js';
import { envelope, ListQuery } from '../pagination.js';
import { parse } from '../validation.js';
import { Include, RunCreate, RunUpdate, StepListQuery, ThreadAndRunCreate, ToolOutputsSubmit } from './schemas.js';
import { streamRun } from './stream.js';

/** Runs, their steps, cancel and submit_tool_outputs; `stream: true` answers with SSE. */
export function runRoutes(router: Router): void {
  router
    .post('/threads/runs', async (ctx) => {
      const input = parse(ThreadAndRunCreate, body(ctx));
      if (input.stream) return streamRun(ctx, ctx.state.deps, { kind: 'createAndRun', input });
      ctx.body = runToWire((await createThreadAndRun(ctx.state.deps, input)).run);
    })
    .post('/threads/:thread_id/runs', async (ctx) => {
      parse(Include, ctx.query);
      const input = parse(RunCreate, body(ctx));
      if (input.stream) return streamRun(ctx, ctx.state.deps, { kind: 'create', threadId: ctx.params.thread_id!, input });
      ctx.body = runToWire(await createRun(ctx.state.deps, ctx.params.thread_id!, input));
    })
    .get('/threads/:thread_id/runs', async (ctx) => {
      const { items, hasMore } = await listRuns(ctx.state.deps, ctx.params.thread_id!, parse(ListQuery, ctx.query));
      ctx.body = envelope(items.map(runToWire), hasMore);
    })
    .get('/threads/:thread_id/runs/:run_id', async (ctx) => {
      ctx.body = runToWire(await getRun(ctx.state.deps, ctx.params.thread_id!, ctx.params.run_id!));
    })
    .post('/threads/:thread_id/runs/:run_id', async (ctx) => {
      ctx.body = runToWire(await updateRun(ctx.state.deps, ctx.params.thread_id!, ctx.params.run_id!, parse(RunUpdate, body(ctx))));
    })
    .post('/threads/:thread_id/runs/:run_id/cancel', async (ctx) => {
      ctx.body = runToWire(await cancelRun(ctx.state.deps, ctx.params.thread_id!, ctx.params.run_id!));
    })
    .post('/threads/:thread_id/runs/:run_id/submit_tool_outputs', async (ctx) => {
      const { thread_id: threadId, run_id: runId } = ctx.params as { thread_id: string; run_id: string };
      const input = parse(ToolOutputsSubmit, body(ctx));
      if (input.stream) return streamRun(ctx, ctx.state.deps, { kind: 'submit', threadId, runId, outputs: input.tool_outputs });
      ctx.body = await submitToolOutputs(ctx.state.deps, threadId, runId, input.tool_outputs);
    })
    .get('/threads/:thread_id/runs/:run_id/steps', async (ctx) => {
      const { 'include[]': include, ...query } = parse(StepListQuery, ctx.query);
      const { items, hasMore } = await listSteps(ctx.state.deps, ctx.params.thread_id!, ctx.params.run_id!, query);
      ctx.body = envelope(
        items.map((s) => stepToWire(s, { resultContent: include !== undefined })),
        hasMore,
      );
    })
    .get('/threads/:thread_id/runs/:run_id/steps/:step_id', async (ctx) => {
      const { 'include[]': include } = parse(Include, ctx.query);
      ctx.body = stepToWire(await getStep(ctx.state.deps, ctx.params.thread_id!, ctx.params.run_id!, ctx.params.step_id!), { resultContent: include !== undefined });
    });
}
