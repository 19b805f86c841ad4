import type { Run } from 'openai/resources/beta/threads/runs/runs';
import type { Db } from '../src/db/client.js';
import { columnsOf, setList, writes } from '../src/db/raw.js';
import { Prisma, type Message as MessageRow, type Run as RunRow, type RunStep as RunStepRow } from '../src/generated/prisma/client.js';
import { publish, type RunEvent } from '../src/events/publish.js';
import { transition, transitionSql, type RunStatus } from '../src/run-status.js';
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
     * The run as the model activity starts a turn, read raw (src/db/raw.ts); the caller has
     * waited for the API's transaction that created it (src/db/run-lock.ts). Null when there is
     * no such run (any more).
     */
    async loadRun(runId: string): Promise<RunRow | null> {
      const [run] = await db.$queryRaw<RunRow[]>`SELECT ${columnsOf(Prisma.RunScalarFieldEnum)} FROM runs WHERE id = ${runId}`;
      return run ?? null;
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
          usage: usageOf(runId),
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
        const queued = await transition(tx, runId, 'queued', { requiredAction: null });
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

/** The run's usage, as an SQL expression: the sum of what each of its model calls cost. */
function usageOf(runId: string): Prisma.Sql {
  const sum = (key: keyof Usage) => Prisma.raw(`'${key}', coalesce(sum((model_usage->>'${key}')::int), 0)`);
  return Prisma.sql`(SELECT jsonb_build_object(${sum('prompt_tokens')}, ${sum('completion_tokens')}, ${sum('total_tokens')}) FROM run_steps WHERE run_id = ${runId})`;
}

/**
 * Ends the run inside `tx`, closing its open steps and messages to match
 * (openai-contract.md §4 e), in one raw statement (src/db/raw.ts): it runs after every run's
 * last token. Returns the events to publish, none if the run had ended already.
 */
export async function closeRun(tx: Tx, runId: string, outcome: RunOutcome): Promise<RunEvent[]> {
  const now = nowSeconds();
  const reason = { failed: 'run_failed', cancelled: 'run_cancelled', expired: 'run_expired', incomplete: 'max_tokens', completed: null }[outcome.status];
  const stepStatus = ({ failed: 'failed', cancelled: 'cancelled', expired: 'expired', incomplete: 'completed', completed: 'completed' } as const)[outcome.status];
  const [closed] = await tx.$queryRaw<{ run: RunRow[]; messages: MessageRow[]; steps: RunStepRow[] }[]>(
    writes({
      run: transitionSql(runId, outcome.status, {
        requiredAction: null,
        usage: usageOf(runId),
        ...(outcome.status === 'completed' && { completedAt: now, expiresAt: null }),
        ...(outcome.status === 'failed' && { failedAt: now, lastError: outcome.error }),
        ...(outcome.status === 'cancelled' && { cancelledAt: now }),
        ...(outcome.status === 'incomplete' && { completedAt: now, incompleteDetails: { reason: outcome.reason } }),
      }),
      messages: Prisma.sql`
        UPDATE messages SET ${setList({ status: 'incomplete', incompleteAt: now, incompleteDetails: { reason } })}
        WHERE run_id = ${runId} AND status = 'in_progress' AND ${reason !== null} AND EXISTS (SELECT FROM run)
        RETURNING ${columnsOf(Prisma.MessageScalarFieldEnum)}`,
      steps: Prisma.sql`
        UPDATE run_steps SET ${setList({
          status: stepStatus,
          usage: Prisma.sql`coalesce(model_usage, ${JSON.stringify(zeroUsage)}::jsonb)`,
          ...(stepStatus === 'failed' && { failedAt: now, lastError: outcome.status === 'failed' ? stepError(outcome.error) : undefined }),
          ...(stepStatus === 'cancelled' && { cancelledAt: now }),
          ...(stepStatus === 'expired' && { expiredAt: now }),
          ...(stepStatus === 'completed' && { completedAt: now }),
        })}
        WHERE run_id = ${runId} AND status = 'in_progress' AND EXISTS (SELECT FROM run)
        RETURNING ${columnsOf(Prisma.RunStepScalarFieldEnum)}`,
    }),
  );
  const run = closed!.run[0];
  if (!run) return [];
  return [
    ...closed!.messages.map((m): RunEvent => ({ event: 'thread.message.incomplete', data: messageToWire(m) })),
    ...closed!.steps.map((step): RunEvent => ({ event: `thread.run.step.${stepStatus}`, data: stepToWire(step) })),
    { event: `thread.run.${outcome.status}`, data: runToWire(run) },
  ];
}

export type RunState = ReturnType<typeof runStateActivities>;
