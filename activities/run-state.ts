import type { Run } from 'openai/resources/beta/threads/runs/runs';
import type { Db } from '../src/db/client.js';
import type { RunRecord } from '../src/db/records.js';
import * as runs from '../src/db/runs.js';
import { publish } from '../src/events/publish.js';
import type { RunOutcome, RunStatus } from '../src/run-status.js';
import { nowSeconds } from '../src/time.js';
import { runToWire } from '../src/wire/run.js';
import { closedRunEvents, runEvent, stepEvent, type StreamEvent } from '../src/wire/stream-events.js';
import { countRunEnded } from '../src/metrics.js';
import type { ToolOutput } from './types.js';

/**
 * The run's status writes. Each is one transaction guarded by the allowed transitions
 * (src/run-status.ts), so a retried activity finds its write done and changes nothing, and
 * each publishes its events from inside that transaction.
 */
export function runStateActivities(db: Db) {
  return {
    /** The run as the model activity starts a turn; the caller has waited for the API's commit (src/db/run-lock.ts). */
    loadRun(runId: string): Promise<RunRecord | null> {
      return runs.runById(db, runId);
    },

    /**
     * queued → in_progress at the start of each model turn, for the run `loadRun` read (called
     * by the model activity, so it costs no trip through Temporal). The guarded update and its
     * event are one statement: the event shows the run as read, moved (a metadata change made
     * in the few ms between is not in it). The status is read only when the update did not
     * apply, to say what to do instead.
     */
    async beginTurn(run: RunRecord): Promise<'ok' | 'cancelling' | 'gone' | { ended: RunStatus }> {
      const moved = { ...run, status: 'in_progress' as const, startedAt: run.startedAt ?? nowSeconds() };
      if (await runs.transitionPublishing(db, run.id, 'in_progress', { startedAt: moved.startedAt }, [runEvent('in_progress', moved)])) return 'ok';
      const status = await runs.statusOf(db, run.id);
      if (!status) return 'gone';
      if (status === 'in_progress') return 'ok'; // a retried attempt of this turn
      if (status === 'cancelling') return 'cancelling';
      return { ended: status };
    },

    /**
     * in_progress → requires_action, listing the function calls of the tool step. Returns the
     * wall-clock ms after its commit: the workflow's expiry timer counts from then, as the
     * workflow's own clock is the start of the task that runs this, which under load can be
     * hundreds of ms earlier.
     */
    async requireAction(runId: string, stepId: string): Promise<number> {
      await db.$transaction(async (tx) => {
        const row = await runs.requireAction(tx, runId, stepId);
        if (row) await publish(tx, runId, [runEvent('requires_action', row)]);
      });
      return Date.now();
    },

    /**
     * Fills the client's outputs into the tool step (now completed) and puts the run back in
     * the queue. Returns the run as it is now — `queued` — which is what submit_tool_outputs answers.
     */
    async recordToolOutputs(runId: string, stepId: string, outputs: ToolOutput[]): Promise<Run> {
      return db.$transaction(async (tx) => {
        const step = await runs.stepById(tx, stepId);
        const current = async () => runToWire((await runs.runById(tx, runId))!);
        // Written already by an earlier attempt; the run has not moved on since.
        if (!step || step.status !== 'in_progress' || step.stepDetails.type !== 'tool_calls') return current();
        const byId = new Map(outputs.map((o) => [o.tool_call_id, o.output]));
        const calls = step.stepDetails.tool_calls.map((c) => (c.type === 'function' && byId.has(c.id) ? { ...c, function: { ...c.function, output: byId.get(c.id)! } } : c));
        const completed = await runs.completeToolStep(tx, step, calls);
        const queued = await runs.transition(tx, runId, 'queued', { requiredAction: null });
        const events: StreamEvent[] = [stepEvent('completed', completed!)];
        if (queued) events.push(runEvent('queued', queued));
        await publish(tx, runId, events);
        return queued ? runToWire(queued) : current();
      });
    },

    /** Completes a tool step whose calls the server ran itself, none left for the client. */
    async completeToolStep(runId: string, stepId: string): Promise<void> {
      await db.$transaction(async (tx) => {
        const step = await runs.stepById(tx, stepId);
        if (!step || step.status !== 'in_progress' || step.stepDetails.type !== 'tool_calls') return;
        const completed = await runs.completeToolStep(tx, step, step.stepDetails.tool_calls);
        await publish(tx, runId, [stepEvent('completed', completed!)]);
      });
    },

    /** Ends the run; open steps and messages are closed to match (docs/wire-contract.md §4 e). */
    async finishRun(runId: string, outcome: RunOutcome): Promise<void> {
      const closed = await db.$transaction(async (tx) => {
        const run = await runs.closeRun(tx, runId, outcome);
        await publish(tx, runId, closedRunEvents(run));
        return run;
      });
      countRunEnded(outcome, closed);
    },
  };
}

export type RunState = ReturnType<typeof runStateActivities>;
