import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Db } from '../../src/db/client.js';
import { addTokens } from '../../src/db/rate-limits.js';
import { LlmError, modelFor, type ChatRequest, type LlmConfig } from '../../src/llm/index.js';
import type { Logger } from '../../src/log.js';
import { metrics } from '../../src/metrics.js';
import { traceModelCall } from '../../src/tracing.js';
import { modelCallFailure } from '../model-failure.js';
import type { TurnResult } from '../types.js';
import type { TurnMachine } from './machine.js';

/** The model adapters' settings and the retry cap (LLM_MAX_RETRY_DELAY_MS). */
export type ModelTurnConfig = LlmConfig & { maxRetryDelayMs: number };

export interface TurnDrive<B, R = TurnResult> {
  llm: ModelTurnConfig;
  request: Omit<ChatRequest, 'signal'>;
  /** The turn's machine, its projector waiting on `ready` before its first write. */
  machine: TurnMachine<R>;
  /** The turn's start (status write, cleanup), run alongside the model call. */
  ready: Promise<B>;
  /** What the workflow hears when the turn could not start; undefined when it did. */
  notStarted(begun: B): R | undefined;
  /** The request capped the answer's tokens: a `length` finish then makes it incomplete. */
  completionCap: boolean;
  /** Unix seconds: no retry is made that would start after it (null: none). */
  expiresAt: number | null;
  /** The project whose rate-limit window the call's tokens count in (src/db/rate-limits.ts). */
  project: { db: Db; id: string };
  log: Logger;
}

/**
 * One model call driving a turn's machine, for any API's model activity: the call starts at
 * once and the turn's start runs alongside it (a turn that cannot start stops the call);
 * heartbeats carry cancellation in and tell Temporal the worker is alive; a failed call keeps
 * what streamed and becomes a retryable or final failure by its `LlmError` (../model-failure.ts).
 */
export async function driveTurn<B, R = TurnResult>({ llm, request, machine, ready, notStarted, completionCap, expiresAt, project, log }: TurnDrive<B, R>): Promise<R> {
  const ctx = Context.current();
  const stop = new AbortController();
  ready.then(
    (begun) => notStarted(begun) && stop.abort(),
    () => stop.abort(),
  );
  const beat = setInterval(() => ctx.heartbeat(), 1000);
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  let firstToken = true;
  try {
    const signal = AbortSignal.any([ctx.cancellationSignal, stop.signal]);
    await traceModelCall(request.model, { 'gen_ai.request.max_tokens': request.maxTokens ?? undefined }, async (span) => {
      for await (const ev of modelFor(request.model, llm).stream({ ...request, signal })) {
        if (firstToken && ev.type !== 'finish') {
          firstToken = false;
          metrics.timeToFirstToken.observe({ model: request.model }, seconds());
          span.addEvent('first token');
        }
        if (ev.type === 'finish') {
          metrics.tokens.inc({ model: request.model, kind: 'prompt' }, ev.usage.promptTokens);
          metrics.tokens.inc({ model: request.model, kind: 'completion' }, ev.usage.completionTokens);
          span.setAttributes({
            'gen_ai.usage.input_tokens': ev.usage.promptTokens,
            'gen_ai.usage.output_tokens': ev.usage.completionTokens,
            'gen_ai.response.finish_reasons': [ev.reason],
          });
          // After the turn's end (whether or not its write succeeds), not before or beside it: that
          // write is on the answer's path, and this one would share its CPU. A request in the
          // moment between the two may find the run ended and its tokens not yet counted.
          try {
            await machine.apply(ev);
          } finally {
            await addTokens(project.db, project.id, ev.usage.promptTokens + ev.usage.completionTokens).catch((err: unknown) =>
              log.warn({ err }, 'could not count the tokens in the rate-limit window'),
            );
          }
          continue;
        }
        await machine.apply(ev);
      }
    });
    metrics.modelCalls.observe({ model: request.model, outcome: 'ok' }, seconds());
  } catch (err) {
    metrics.modelCalls.observe({ model: request.model, outcome: err instanceof LlmError ? err.code : 'aborted' }, seconds());
    // The turn never started (or its start failed): nothing was written, nothing to keep.
    const ended = notStarted(await ready);
    if (ended) return ended;
    await machine.keepPartial().catch((e: unknown) => log.error({ err: e }, 'could not save the partial answer'));
    if (err instanceof LlmError) {
      const failure = modelCallFailure(err, { maxRetryDelayMs: llm.maxRetryDelayMs, attempt: ctx.info.attempt, expiresAt });
      log.warn({ code: err.code, retryable: !failure.nonRetryable, retry_in_ms: failure.nextRetryDelay, err: err.message }, 'model call failed');
      throw failure;
    }
    throw err;
  } finally {
    clearInterval(beat);
  }
  const ended = notStarted(await ready);
  if (ended) return ended;
  if (!machine.finished) throw ApplicationFailure.retryable('The model stream ended without a finish event', 'server_error');
  return machine.end(completionCap);
}
