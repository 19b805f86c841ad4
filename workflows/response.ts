/**
 * One workflow per response of the Responses API (workflow id = response id), background or
 * not: the model turn runs as an activity on the same turn engine as a run's
 * (activities/response-turn.ts), retried, heartbeated and cancellable, and the response ends
 * as failed or cancelled here when the turn cannot end it itself. Function calls end the
 * response; the client's next request continues it. Imports: `@temporalio/workflow` and types only.
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
  const finish = async (end: Extract<ResponseEnd, { status: 'failed' | 'cancelled' }>) => {
    await CancellationScope.nonCancellable(() => store.finishResponse(responseId, end));
    return end.status;
  };
  try {
    const result = await model.responseTurn(responseId);
    // The turn ends every response it starts (function calls included); else it was deleted.
    return result.kind === 'ended' ? result.status : 'deleted';
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
