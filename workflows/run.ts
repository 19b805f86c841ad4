/**
 * One workflow per run (workflow id = run id): the run's whole life, durable across worker and
 * API restarts. It only sequences — model turn → server tools → requires_action ↔ tool outputs
 * → next turn — and activities do the I/O (model calls, tools, Postgres writes, events).
 * A change to what it schedules for an existing history must go behind `patched()`
 * (docs/architecture.md); the replay test checks recorded histories against it.
 * Imports: `@temporalio/workflow` and types only, so it bundles deterministically.
 */
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  defineUpdate,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { RunActivities, RunOutcome, ToolOutput } from '../activities/index.js';

export interface RunWorkflowInput {
  runId: string;
  /** Unix seconds: when a run still waiting for tool outputs becomes `expired`. */
  expiresAt: number;
  /** Attempts at one model call before the run fails (LLM_MAX_ATTEMPTS). */
  modelAttempts: number;
}

/** The run as submit_tool_outputs answers it: just queued again, outputs recorded. */
export type QueuedRun = Awaited<ReturnType<RunActivities['recordToolOutputs']>>;

/** `submit_tool_outputs`: validated here, against the workflow's own state, before it touches history. */
export const submitToolOutputsUpdate = defineUpdate<QueuedRun, [ToolOutput[]]>('submitToolOutputs');

/** The failure type of a submission the workflow refuses; the API answers it as a 400 with this message. */
export const TOOL_OUTPUTS_REFUSED = 'ToolOutputsRefused';

/**
 * A cancel or tool outputs delivered in the same workflow task as the expiry timer (say, when
 * no worker was up in between) win over the timer: the client was answered first. Histories
 * recorded before this still end `expired` on replay.
 */
const REQUEST_WINS_OVER_EXPIRY = 'request-wins-over-expiry';

const LAST_ERROR_CODES = ['server_error', 'rate_limit_exceeded', 'invalid_prompt'];

type Ended = RunOutcome['status'] | 'deleted';

export async function assistantRun(input: RunWorkflowInput): Promise<Ended> {
  const { runId } = input;
  // Status writes are short Postgres transactions: as local activities they run inside the
  // workflow task, saving a round trip through the server before and after each model call.
  const store = proxyLocalActivities<RunActivities>({
    startToCloseTimeout: '30s',
    retry: { initialInterval: '200ms', maximumInterval: '10s' },
  });
  const model = proxyActivities<RunActivities>({
    startToCloseTimeout: '15m',
    // On cancel, wait for the call to stop and keep what it streamed, before closing the run.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    // The model activity heartbeats while it streams; a dead worker is noticed within this.
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

  let status: 'queued' | 'in_progress' | 'requires_action' | Ended = 'queued';
  let pendingCallIds: string[] = [];
  let submission: ToolOutput[] | undefined;
  const recorded: QueuedRun[] = [];
  let submissionsAccepted = 0;

  setHandler(
    submitToolOutputsUpdate,
    async (outputs) => {
      // A worker that took the run over replays it: an update can come in the activation that
      // also brings the model turn's result, and is handled first. Postgres already said
      // requires_action, so the outputs are judged once the workflow has caught up.
      if (status === 'in_progress') await condition(() => status !== 'in_progress');
      // Two updates validated in one activation: the second one loses here.
      rejectUnacceptable(outputs);
      submission = outputs;
      const mine = submissionsAccepted++;
      // Answer once the outputs are stored, with the run as it was then (`queued`), as OpenAI does.
      await condition(() => recorded.length > mine);
      return recorded[mine]!;
    },
    {
      validator: (outputs) => {
        if (status !== 'in_progress') rejectUnacceptable(outputs);
      },
    },
  );

  function rejectUnacceptable(outputs: ToolOutput[]): void {
    const refuse = (message: string) => ApplicationFailure.create({ type: TOOL_OUTPUTS_REFUSED, message, nonRetryable: true });
    if (status !== 'requires_action' || submission !== undefined) {
      throw refuse(`Runs in status "${submission ? 'queued' : status}" do not accept tool outputs.`);
    }
    const got = outputs.map((o) => o.tool_call_id);
    const expected = [...pendingCallIds].sort();
    const sorted = [...got].sort();
    if (sorted.length !== expected.length || sorted.some((id, i) => id !== expected[i])) {
      throw refuse(`Expected tool outputs for call_ids ${pyList(pendingCallIds)}, got ${pyList(got)}`);
    }
  }

  const setStatus = (s: typeof status) => {
    status = s;
    upsertSearchAttributes([{ key: { name: 'RunStatus', type: 'KEYWORD' }, value: s }]);
  };
  // The status changes first, so an update racing the end is refused with the final status.
  const finish = async (outcome: RunOutcome) => {
    setStatus(outcome.status);
    await CancellationScope.nonCancellable(() => store.finishRun(runId, outcome));
    return outcome.status;
  };

  // Set when outputs beat the expiry timer: the turn they feed runs although expires_at has passed.
  let resumedLate = false;
  try {
    for (let turn = 0; ; turn++) {
      if (!resumedLate && Date.now() >= input.expiresAt * 1000) return await finish({ status: 'expired' });
      resumedLate = false;
      setStatus('in_progress');
      // The model activity marks the run in_progress, and ends it when the answer is text.
      const result = await model.modelTurn(runId, turn);
      if (result.kind === 'gone') return 'deleted';
      if (result.kind === 'cancelling') return await finish({ status: 'cancelled' });
      if (result.kind === 'ended') {
        setStatus(result.status as RunOutcome['status']);
        return result.status as RunOutcome['status'];
      }

      // Server tools run first, each its own activity; their results need no client.
      const serverCalls = result.serverCalls ?? [];
      if (serverCalls.length) {
        await Promise.all(serverCalls.map((c) => serverTool(c.timeoutMs).serverToolCall(runId, result.stepId, c.id)));
        if (!result.callIds.length) {
          await store.completeToolStep(runId, result.stepId);
          continue;
        }
      }

      // Ready for outputs before Postgres says so: a client that sees `requires_action` and
      // submits at once must find the workflow accepting.
      pendingCallIds = result.callIds;
      setStatus('requires_action');
      const written: number | undefined = await store.requireAction(runId, result.stepId);
      // The durable timer: fires at expires_at even if no worker was up at that moment. It counts
      // from the write's time (recorded with the local activity, so replay gives it back), never
      // from before the workflow's clock; histories from before the write returned its time have
      // none and replay on the workflow's clock, as they ran.
      const from = Math.max(Date.now(), written ?? 0);
      const submitted = await condition(() => submission !== undefined, Math.max(0, input.expiresAt * 1000 - from));
      if (!submitted) {
        // patched() only where the timer and a request met, so other histories issue no marker.
        const cancelled = CancellationScope.current().consideredCancelled;
        if (cancelled && patched(REQUEST_WINS_OVER_EXPIRY)) return await finish({ status: 'cancelled' });
        if (cancelled || submission === undefined || !patched(REQUEST_WINS_OVER_EXPIRY)) return await finish({ status: 'expired' });
        resumedLate = true;
      }
      recorded.push(await store.recordToolOutputs(runId, result.stepId, submission!));
      submission = undefined;
      setStatus('queued');
    }
  } catch (err) {
    if (isCancellation(err)) return await finish({ status: 'cancelled' });
    return await finish({ status: 'failed', error: lastErrorOf(err) });
  }
}

/** A failed model call's cause carries the Assistants `last_error.code` as its type. */
function lastErrorOf(err: unknown): { code: string; message: string } {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure && cause.type && LAST_ERROR_CODES.includes(cause.type)) {
    return { code: cause.type, message: cause.message };
  }
  return { code: 'server_error', message: 'Sorry, something went wrong.' };
}

/** OpenAI words these errors with Python-style lists: `['call_a', 'call_b']`. */
function pyList(ids: string[]): string {
  return `[${ids.map((id) => `'${id}'`).join(', ')}]`;
}
