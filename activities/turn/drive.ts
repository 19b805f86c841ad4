import { ApplicationFailure, Context } from '@temporalio/activity';
import { LlmError, modelFor, type ChatRequest, type LlmConfig } from '../../src/llm/index.js';
import type { Logger } from '../../src/log.js';
import type { TurnResult } from '../types.js';
import type { TurnMachine } from './machine.js';

export interface TurnDrive<B> {
  llm: LlmConfig;
  request: Omit<ChatRequest, 'signal'>;
  /** The turn's machine, its projector waiting on `ready` before its first write. */
  machine: TurnMachine;
  /** The turn's start (status write, cleanup), run alongside the model call. */
  ready: Promise<B>;
  /** What the workflow hears when the turn could not start; undefined when it did. */
  notStarted(begun: B): TurnResult | undefined;
  /** The request capped the answer's tokens: a `length` finish then makes it incomplete. */
  completionCap: boolean;
  log: Logger;
}

/**
 * One model call driving a turn's machine, for any API's model activity: the call starts at
 * once and the turn's start runs alongside it (a turn that cannot start stops the call);
 * heartbeats carry cancellation in and tell Temporal the worker is alive; a failed call keeps
 * what streamed and becomes a retryable or final failure by its `LlmError`.
 */
export async function driveTurn<B>({ llm, request, machine, ready, notStarted, completionCap, log }: TurnDrive<B>): Promise<TurnResult> {
  const ctx = Context.current();
  const stop = new AbortController();
  ready.then(
    (begun) => notStarted(begun) && stop.abort(),
    () => stop.abort(),
  );
  const beat = setInterval(() => ctx.heartbeat(), 1000);
  try {
    const signal = AbortSignal.any([ctx.cancellationSignal, stop.signal]);
    for await (const ev of modelFor(request.model, llm).stream({ ...request, signal })) await machine.apply(ev);
  } catch (err) {
    // The turn never started (or its start failed): nothing was written, nothing to keep.
    const ended = notStarted(await ready);
    if (ended) return ended;
    await machine.keepPartial().catch((e: unknown) => log.error({ err: e }, 'could not save the partial answer'));
    if (err instanceof LlmError) {
      log.warn({ code: err.code, retryable: err.retryable, err: err.message }, 'model call failed');
      throw ApplicationFailure.create({ type: err.code, message: err.message, nonRetryable: !err.retryable, nextRetryDelay: err.retryAfterMs });
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
