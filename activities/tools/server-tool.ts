import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Db } from '../../src/db/client.js';
import { runById, setToolCalls, stepById } from '../../src/db/runs.js';
import { publish } from '../../src/events/publish.js';
import { metrics } from '../../src/metrics.js';
import type { ToolFile } from '../../src/db/records.js';
import type { Logger } from '../../src/log.js';
import { toolCallDelta } from '../../src/wire/stream-events.js';
import type { ToolRegistry } from './registry.js';

/**
 * Runs one server-side tool call of a turn (its own activity: retried, heartbeated, with the
 * tool's own timeout) and records its outputs in the turn's `tool_calls` step, streaming them
 * as a step delta, with the files it wrote (the step's `toolFiles`). A call already recorded (by an attempt that died after writing) is not run again.
 */
export function serverToolActivity(db: Db, tools: ToolRegistry, log: Logger) {
  return async function serverToolCall(runId: string, stepId: string, callId: string): Promise<void> {
    const ctx = Context.current();
    const [run, step] = await Promise.all([runById(db, runId), stepById(db, stepId)]);
    if (!run || !step || step.status !== 'in_progress' || step.stepDetails.type !== 'tool_calls') return;
    const index = step.stepDetails.tool_calls.findIndex((c) => c.id === callId);
    const pending = step.stepDetails.tool_calls[index];
    const tool = pending && tools.executor(pending);
    if (!pending || !tool) throw ApplicationFailure.nonRetryable(`No server tool runs call ${callId} of step ${stepId}`, 'server_error');
    if (tool.transcript(pending, 0).output !== null) return;

    const beat = setInterval(() => ctx.heartbeat(), 1000);
    try {
      const files: ToolFile[] = [];
      const wrote = (f: Omit<ToolFile, 'call_id'>) => files.push({ call_id: callId, ...f });
      const done = await tool.execute(pending, { run, signal: ctx.cancellationSignal, heartbeat: () => ctx.heartbeat(), wrote });
      await db.$transaction(async (tx) => {
        // Calls of one turn run side by side: write this one into the step as it now stands.
        const current = await stepById(tx, stepId);
        if (!current || current.stepDetails.type !== 'tool_calls') return;
        const calls = current.stepDetails.tool_calls.map((c) => (c.id === callId ? done : c));
        const toolFiles = [...current.toolFiles.filter((f) => f.call_id !== callId), ...files];
        await setToolCalls(tx, stepId, calls, { toolFiles });
        await publish(tx, runId, [toolCallDelta(stepId, tools.outputsDelta(index, done))]);
      });
      metrics.toolCalls.inc({ tool: tool.type, outcome: 'ok' });
      log.info({ run_id: runId, tool: tool.type, call_id: callId }, 'server tool ran');
    } catch (err) {
      metrics.toolCalls.inc({ tool: tool.type, outcome: 'error' });
      throw err;
    } finally {
      clearInterval(beat);
    }
  };
}
