import type { Run } from 'openai/resources/beta/threads/runs/runs';
import type { Db } from '../src/db/client.js';
import { awaitNewRun } from '../src/db/run-lock.js';
import { Prisma, type Run as RunRow } from '../src/generated/prisma/client.js';
import { publish, type RunEvent } from '../src/events/publish.js';
import { sourcesOf, type RunStatus } from '../src/run-status.js';
import { nowSeconds } from '../src/time.js';
import { messageToWire } from '../src/wire/message.js';
import { runToWire } from '../src/wire/run.js';
import { stepToWire } from '../src/wire/step.js';
import { zeroUsage, type RunOutcome, type ToolOutput, type Usage } from './types.js';

type Tx = Prisma.TransactionClient;

/**
 * The run's status writes. Each is one transaction guarded by the allowed transitions
 * (src/run-status.ts), so a retried activity finds its write done and changes nothing, and
 * each publishes its events from inside that transaction.
 */
export function runStateActivities(db: Db) {
  return {
    /**
     * The run as the model activity starts a turn: after the API's transaction that created
     * it has ended (src/db/run-lock.ts); null when there is no such run (any more).
     */
    async loadRun(runId: string): Promise<RunRow | null> {
      return db.$transaction(async (tx) => {
        await awaitNewRun(tx, runId);
        return tx.run.findUnique({ where: { id: runId } });
      });
    },

    /**
     * queued → in_progress at the start of each model turn, for the run `loadRun` read (called
     * by the model activity, so it costs no trip through Temporal). The guarded update comes
     * first; the status is read only when it did not apply, to say what to do instead.
     */
    async beginTurn(run: Pick<RunRow, 'id' | 'startedAt'>): Promise<'ok' | 'cancelling' | 'gone' | { ended: RunStatus }> {
      return db.$transaction(async (tx) => {
        const row = await transition(tx, run.id, 'in_progress', { startedAt: run.startedAt ?? nowSeconds() });
        if (row) {
          await publish(tx, run.id, [{ event: 'thread.run.in_progress', data: runToWire(row) }]);
          return 'ok';
        }
        const current = await tx.run.findUnique({ where: { id: run.id }, select: { status: true } });
        if (!current) return 'gone';
        if (current.status === 'in_progress') return 'ok'; // a retried attempt of this turn
        if (current.status === 'cancelling') return 'cancelling';
        return { ended: current.status as RunStatus };
      });
    },

    /** in_progress → requires_action, listing the function calls of the tool step. */
    async requireAction(runId: string, stepId: string): Promise<void> {
      await db.$transaction(async (tx) => {
        const step = await tx.runStep.findUniqueOrThrow({ where: { id: stepId } });
        const calls = (step.stepDetails as { tool_calls: { id: string; function: { name: string; arguments: string } }[] }).tool_calls;
        const row = await transition(tx, runId, 'requires_action', {
          requiredAction: {
            type: 'submit_tool_outputs',
            submit_tool_outputs: {
              tool_calls: calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.function.name, arguments: c.function.arguments } })),
            },
          },
          usage: await usageOf(tx, runId),
        });
        if (row) await publish(tx, runId, [{ event: 'thread.run.requires_action', data: runToWire(row) }]);
      });
    },

    /**
     * Fills the outputs into the tool step (now completed) and puts the run back in the queue.
     * Returns the run as it is now — `queued` — which is what submit_tool_outputs answers.
     */
    async recordToolOutputs(runId: string, stepId: string, outputs: ToolOutput[]): Promise<Run> {
      return db.$transaction(async (tx) => {
        const step = await tx.runStep.findUniqueOrThrow({ where: { id: stepId } });
        // Written already by an earlier attempt; the run has not moved on since.
        if (step.status !== 'in_progress') return runToWire(await tx.run.findUniqueOrThrow({ where: { id: runId } }));
        const byId = new Map(outputs.map((o) => [o.tool_call_id, o.output]));
        const details = step.stepDetails as { type: 'tool_calls'; tool_calls: { id: string; function: Record<string, unknown> }[] };
        const stepRow = await tx.runStep.update({
          where: { id: stepId },
          data: {
            status: 'completed',
            completedAt: nowSeconds(),
            usage: step.modelUsage ?? zeroUsage,
            stepDetails: {
              ...details,
              tool_calls: details.tool_calls.map((c) => ({ ...c, function: { ...c.function, output: byId.get(c.id) ?? null } })),
            },
          },
        });
        const queued = await transition(tx, runId, 'queued', { requiredAction: Prisma.DbNull });
        const run = runToWire(queued ?? (await tx.run.findUniqueOrThrow({ where: { id: runId } })));
        const events: RunEvent[] = [{ event: 'thread.run.step.completed', data: stepToWire(stepRow) }];
        if (queued) events.push({ event: 'thread.run.queued', data: run });
        await publish(tx, runId, events);
        return run;
      });
    },

    /** Ends the run; open steps and messages are closed to match (openai-contract.md §4 e). */
    async finishRun(runId: string, outcome: RunOutcome): Promise<void> {
      await db.$transaction(async (tx) => publish(tx, runId, await closeRun(tx, runId, outcome)));
    },
  };
}


/** Steps know only two error codes. */
function stepError(e: { code: string; message: string }) {
  return { code: e.code === 'rate_limit_exceeded' ? 'rate_limit_exceeded' : 'server_error', message: e.message };
}

/** Moves the run to `to` if its current status allows it; returns the new row, or null. */
async function transition(tx: Tx, runId: string, to: RunStatus, data: Prisma.RunUpdateManyMutationInput = {}) {
  const { count } = await tx.run.updateMany({ where: { id: runId, status: { in: sourcesOf(to) } }, data: { ...data, status: to } });
  return count ? tx.run.findUniqueOrThrow({ where: { id: runId } }) : null;
}

/** The run's usage: the sum of what each of its model calls cost. */
async function usageOf(tx: Tx, runId: string): Promise<Usage> {
  const steps = await tx.runStep.findMany({ where: { runId }, select: { modelUsage: true } });
  const usage = { ...zeroUsage };
  for (const { modelUsage } of steps) {
    const u = modelUsage as Usage | null;
    if (!u) continue;
    usage.prompt_tokens += u.prompt_tokens;
    usage.completion_tokens += u.completion_tokens;
    usage.total_tokens += u.total_tokens;
  }
  return usage;
}

/**
 * Ends the run inside `tx`, closing its open steps and messages to match
 * (openai-contract.md §4 e); returns the events to publish, none if the run had ended already.
 */
export async function closeRun(tx: Tx, runId: string, outcome: RunOutcome): Promise<RunEvent[]> {
  const now = nowSeconds();
  const usage = await usageOf(tx, runId);
  const row = await transition(tx, runId, outcome.status, {
    requiredAction: Prisma.DbNull,
    ...(outcome.status === 'completed' && { completedAt: now, expiresAt: null, usage }),
    ...(outcome.status === 'failed' && { failedAt: now, lastError: outcome.error, usage }),
    ...(outcome.status === 'cancelled' && { cancelledAt: now, usage }),
    ...(outcome.status === 'expired' && { usage }),
    ...(outcome.status === 'incomplete' && { completedAt: now, incompleteDetails: { reason: outcome.reason }, usage }),
  });
  if (!row) return [];
  const events: RunEvent[] = [];
  const reason = { failed: 'run_failed', cancelled: 'run_cancelled', expired: 'run_expired', incomplete: 'max_tokens', completed: null }[outcome.status];
  if (reason) {
    const open = await tx.message.findMany({ where: { runId, status: 'in_progress' }, select: { id: true } });
    for (const { id } of open) {
      const m = await tx.message.update({ where: { id }, data: { status: 'incomplete', incompleteAt: now, incompleteDetails: { reason } } });
      events.push({ event: 'thread.message.incomplete', data: messageToWire(m) });
    }
  }
  const stepStatus = { failed: 'failed', cancelled: 'cancelled', expired: 'expired', incomplete: 'completed', completed: 'completed' }[outcome.status];
  const openSteps = await tx.runStep.findMany({ where: { runId, status: 'in_progress' }, orderBy: { id: 'asc' } });
  for (const s of openSteps) {
    const step = await tx.runStep.update({
      where: { id: s.id },
      data: {
        status: stepStatus,
        usage: s.modelUsage ?? zeroUsage,
        ...(stepStatus === 'failed' && { failedAt: now, lastError: outcome.status === 'failed' ? stepError(outcome.error) : undefined }),
        ...(stepStatus === 'cancelled' && { cancelledAt: now }),
        ...(stepStatus === 'expired' && { expiredAt: now }),
        ...(stepStatus === 'completed' && { completedAt: now }),
      },
    });
    events.push({ event: `thread.run.step.${stepStatus}`, data: stepToWire(step) });
  }
  events.push({ event: `thread.run.${outcome.status}`, data: runToWire(row) });
  return events;
}

export type RunState = ReturnType<typeof runStateActivities>;
