/**
 * One workflow per response of the Responses API (workflow id = response id), background or
 * not: each model turn runs as an activity on the same turn engine as a run's
 * (activities/response-turn.ts), retried, heartbeated and cancellable, and the response ends
 * as failed or cancelled here when the turn cannot end it itself. Function calls end the
 * response; the client's next request continues it. Server tool calls run here, each as its
 * own activity, then the next turn reads them (a response without them issues exactly the one
 * turn it always did). Imports: `@temporalio/workflow` and types only.
 */
import { ActivityCancellationType, ActivityFailure, ApplicationFailure, CancellationScope, isCancellation, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { ResponseEnd, RunActivities } from '../activities/index.js';

export interface ResponseWorkflowInput {
  responseId: string;
  /** Attempts at one model call before the response fails (LLM_MAX_ATTEMPTS). */
  modelAttempts: number;
}

const ERROR_CODES = ['server_error', 'rate_limit_exceeded', 'invalid_prompt'];

export async function responseRun(input: ResponseWorkflowInput): Promise<string> {
  const { responseId } = input;
  const store = proxyLocalActivities<RunActivities>({ startToCloseTimeout: '30s', retry: { initialInterval: '200ms', maximumInterval: '10s' } });
  const model = proxyActivities<RunActivities>({
    startToCloseTimeout: '15m',
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    heartbeatTimeout: '5s',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: input.modelAttempts },
  });
  // A server tool's activity has the tool's own timeout; it heartbeats while it works.
  const serverTool = (timeoutMs: number) =>
    proxyActivities<RunActivities>({
      startToCloseTimeout: timeoutMs,
      heartbeatTimeout: '10s',
      retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 3 },
    });
  const finish = async (end: Extract<ResponseEnd, { status: 'failed' | 'cancelled' }>) => {
    await CancellationScope.nonCancellable(() => store.finishResponse(responseId, end));
    return end.status;
  };
  try {
    for (;;) {
      const result = await model.responseTurn(responseId);
      if (result.kind !== 'server_tools') {
        // The turn ends every response it starts (function calls included); else it was deleted.
        return result.kind === 'ended' ? result.status : 'deleted';
      }
      await Promise.all(result.calls.map((c) => serverTool(c.timeoutMs).responseToolCall(responseId, c.itemId)));
      if (result.thenComplete) {
        // The turn also called the client's functions: the response ends for the client to answer them.
        await store.finishResponse(responseId, { status: 'completed' });
        return 'completed';
      }
    }
  } catch (err) {
    if (isCancellation(err)) return await finish({ status: 'cancelled' });
    return await finish({ status: 'failed', error: errorOf(err) });
  }
}

/** A failed model call's cause carries the error code as its type. */
function errorOf(err: unknown): { code: string; message: string } {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure && cause.type && ERROR_CODES.includes(cause.type)) return { code: cause.type, message: cause.message };
  return { code: 'server_error', message: 'Sorry, something went wrong.' };
}
