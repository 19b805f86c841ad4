import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Db } from '../src/db/client.js';
import { columnsOf, insertInto, setList, writes } from '../src/db/raw.js';
import { awaitNewRun } from '../src/db/run-lock.js';
import { notifying, publish, type RunEvent } from '../src/events/publish.js';
import { Prisma, type Message as MessageRow, type Run as RunRow, type RunStep as RunStepRow } from '../src/generated/prisma/client.js';
import { newId } from '../src/ids.js';
import { LlmError, modelFor, type ChatRequest, type LlmConfig, type ToolChoice, type ToolSpec } from '../src/llm/index.js';
import type { Logger } from '../src/log.js';
import { isTerminal } from '../src/run-status.js';
import { nowSeconds } from '../src/time.js';
import { messageToWire } from '../src/wire/message.js';
import { stepToWire } from '../src/wire/step.js';
import { conversationFor, readTranscript } from './conversation.js';
import { closeRun, type RunState } from './run-state.js';
import { zeroUsage, type RunOutcome, type TurnResult, type Usage } from './types.js';

interface StoredCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string; output: string | null };
}

type Begun = Awaited<ReturnType<RunState['beginTurn']>>;

/** What the workflow hears when the turn could not start: the run moved on without it. */
function notStarted(begun: Exclude<Begun, 'ok'>): TurnResult {
  if (begun === 'gone') return { kind: 'gone' };
  if (begun === 'cancelling') return { kind: 'cancelling' };
  return { kind: 'ended', status: begun.ended };
}

/**
 * One model call of a run: streams the answer into a `message_creation` step and its message,
 * or tool calls into a `tool_calls` step, publishing the SSE events as it goes. Steps are keyed
 * by turn, so a retried attempt reuses what an earlier attempt wrote instead of adding more.
 */
export function modelTurnActivity(db: Db, llm: LlmConfig, log: Logger, state: Pick<RunState, 'loadRun' | 'beginTurn'>) {
  return async function modelTurn(runId: string, turn: number): Promise<TurnResult> {
    const ctx = Context.current();
    // The API may still be committing the run (src/db/run-lock.ts).
    await awaitNewRun(db, runId);
    const [run, transcript] = await Promise.all([state.loadRun(runId), readTranscript(db, runId)]);
    if (!run) return { kind: 'gone' };
    if (run.status === 'cancelling') return { kind: 'cancelling' };
    if (isTerminal(run.status)) return { kind: 'ended', status: run.status };
    const runLog = log.child({ run_id: runId, turn, attempt: ctx.info.attempt });

    // Only those reads stand between here and the model call. Starting the turn (queued →
    // in_progress, clearing what an earlier attempt left) runs alongside the call; the writer
    // waits for it before its first write, and a run that cannot start stops the call.
    const stop = new AbortController();
    const ready = Promise.all([state.beginTurn(run), replaceEarlierAttempt(db, run, turn)]).then(([begun]) => begun);
    ready.then(
      (begun) => begun !== 'ok' && stop.abort(),
      () => stop.abort(),
    );
    const writer = new TurnWriter(db, run, turn, ready);
    const request: ChatRequest = {
      model: run.model,
      messages: conversationFor(run, transcript, turn),
      tools: functionTools(run.tools),
      toolChoice: toolChoiceOf(run.toolChoice),
      parallelToolCalls: run.parallelToolCalls,
      temperature: run.temperature,
      topP: run.topP,
      maxTokens: run.maxCompletionTokens,
      responseFormat: run.responseFormat,
      signal: AbortSignal.any([ctx.cancellationSignal, stop.signal]),
    };
    // Heartbeats carry cancellation to us and tell Temporal the worker is alive while the model thinks.
    const beat = setInterval(() => ctx.heartbeat(), 1000);
    let finish: { reason: string; usage: { promptTokens: number; completionTokens: number } } | undefined;
    try {
      for await (const ev of modelFor(run.model, llm).stream(request)) {
        if (ev.type === 'text') await writer.text(ev.delta);
        else if (ev.type === 'tool_call') await writer.toolCall(ev.index, ev.id, ev.name, ev.argumentsDelta);
        else finish = ev;
      }
    } catch (err) {
      // The turn never started (or its start failed): nothing was written, nothing to keep.
      const begun = await ready;
      if (begun !== 'ok') return notStarted(begun);
      // What was streamed so far stays with the message, for the run's end to close it with.
      await writer.savePartialText().catch((e: unknown) => runLog.error({ err: e }, 'could not save the partial answer'));
      if (err instanceof LlmError) {
        runLog.warn({ code: err.code, retryable: err.retryable, err: err.message }, 'model call failed');
        throw ApplicationFailure.create({
          type: err.code,
          message: err.message,
          nonRetryable: !err.retryable,
          nextRetryDelay: err.retryAfterMs,
        });
      }
      throw err;
    } finally {
      clearInterval(beat);
    }
    const begun = await ready;
    if (begun !== 'ok') return notStarted(begun);
    if (!finish) throw ApplicationFailure.retryable('The model stream ended without a finish event', 'server_error');
    const usage = { prompt_tokens: finish.usage.promptTokens, completion_tokens: finish.usage.completionTokens, total_tokens: finish.usage.promptTokens + finish.usage.completionTokens };
    const truncated = finish.reason === 'length' && run.maxCompletionTokens !== null;
    return writer.finish(usage, truncated);
  };
}

/**
 * A retried turn starts over. What an earlier attempt (failed, or on a worker that died) left
 * is closed for the streams that showed it — re-streaming into the same message would double
 * its text in the SDK's snapshot — and then removed, so the run keeps one step and one message
 * per answer.
 */
async function replaceEarlierAttempt(db: Db, run: RunRow, turn: number): Promise<void> {
  const steps = await db.runStep.findMany({ where: { runId: run.id, key: { in: [stepKey(turn, 'message'), stepKey(turn, 'tools')] } }, orderBy: { id: 'asc' } });
  if (steps.length === 0) return;
  const now = nowSeconds();
  await db.$transaction(async (tx) => {
    const events: RunEvent[] = [];
    for (const step of steps) {
      const messageId = (step.stepDetails as { message_creation?: { message_id: string } }).message_creation?.message_id;
      if (step.status !== 'in_progress') continue;
      if (messageId) {
        const message = await tx.message.update({ where: { id: messageId }, data: { status: 'incomplete', incompleteAt: now, incompleteDetails: { reason: 'run_failed' } } });
        events.push({ event: 'thread.message.incomplete', data: messageToWire(message) });
      }
      const failed = await tx.runStep.update({
        where: { id: step.id },
        data: { status: 'failed', failedAt: now, lastError: { code: 'server_error', message: 'The model call was interrupted; it is being retried.' } },
      });
      events.push({ event: 'thread.run.step.failed', data: stepToWire(failed) });
    }
    await publish(tx, run.id, events);
    const messageIds = steps.flatMap((s) => (s.stepDetails as { message_creation?: { message_id: string } }).message_creation?.message_id ?? []);
    await tx.message.deleteMany({ where: { id: { in: messageIds } } });
    await tx.runStep.deleteMany({ where: { id: { in: steps.map((s) => s.id) } } });
  });
}

const stepKey = (turn: number, kind: 'message' | 'tools') => `${turn}:${kind}`;

/** Writes one turn's step(s) and message, and publishes their events in OpenAI's order. */
class TurnWriter {
  private message?: { stepId: string; messageId: string; text: string };
  private tools?: { stepId: string; calls: StoredCall[] };

  constructor(
    private readonly db: Db,
    private readonly run: RunRow,
    private readonly turn: number,
    /** The turn's start; nothing is written before it, and nothing if the run could not start. */
    private readonly ready: Promise<Begun>,
  ) {}

  private async started(): Promise<void> {
    const begun = await this.ready;
    if (begun !== 'ok') throw new Error(`The run could not start this turn (${JSON.stringify(begun)})`);
  }

  async savePartialText(): Promise<void> {
    if (!this.message?.text) return;
    await this.db.message.update({ where: { id: this.message.messageId }, data: { content: textContent(this.message.text) } });
  }

  /** Opens the step (and its message), publishing their events and then `then`: one statement, raw (src/db/raw.ts). */
  private async openStep(kind: 'message' | 'tools', details: object, messageId?: string, then: RunEvent[] = []): Promise<RunStepRow> {
    await this.started();
    const now = nowSeconds();
    const { id: runId, threadId, assistantId } = this.run;
    const step: RunStepRow = {
      id: newId('step'),
      runId,
      threadId,
      assistantId,
      key: stepKey(this.turn, kind),
      createdAt: now,
      type: kind === 'message' ? 'message_creation' : 'tool_calls',
      status: 'in_progress',
      stepDetails: kind === 'message' ? { type: 'message_creation', message_creation: { message_id: messageId } } : details,
      lastError: null,
      expiredAt: null,
      cancelledAt: null,
      failedAt: null,
      completedAt: null,
      metadata: {},
      usage: null,
      modelUsage: null,
    };
    const inserts = [insertInto('run_steps', step)];
    const events: RunEvent[] = [
      { event: 'thread.run.step.created', data: stepToWire(step) },
      { event: 'thread.run.step.in_progress', data: stepToWire(step) },
    ];
    if (messageId) {
      const message: MessageRow = {
        id: messageId,
        threadId,
        createdAt: now,
        role: 'assistant',
        content: [],
        status: 'in_progress',
        incompleteDetails: null,
        completedAt: null,
        incompleteAt: null,
        assistantId,
        runId,
        attachments: [],
        metadata: {},
      };
      inserts.push(insertInto('messages', message));
      events.push({ event: 'thread.message.created', data: messageToWire(message) }, { event: 'thread.message.in_progress', data: messageToWire(message) });
    }
    const ctes = Prisma.join(inserts.map((insert, i) => Prisma.sql`${Prisma.raw(`w${i}`)} AS (${insert})`));
    await this.db.$executeRaw`WITH ${ctes} ${notifying(runId, [...events, ...then])}`;
    return step;
  }

  async text(delta: string): Promise<void> {
    if (!delta) return;
    const deltaEvent = (messageId: string, first: boolean): RunEvent => ({
      event: 'thread.message.delta',
      data: { id: messageId, object: 'thread.message.delta', delta: { content: [{ index: 0, type: 'text', text: first ? { value: delta, annotations: [] } : { value: delta } }] } },
    });
    if (!this.message) {
      // The first delta goes out with the step and message it belongs to: one commit, not two.
      this.message = await this.newMessage((id) => [deltaEvent(id, true)]);
      this.message.text = delta;
      return;
    }
    this.message.text += delta;
    await publish(this.db, this.run.id, [deltaEvent(this.message.messageId, false)]);
  }

  async toolCall(index: number, id: string | undefined, name: string | undefined, args: string | undefined): Promise<void> {
    // Text before tool calls is its own finished message, as OpenAI streams it.
    if (this.message?.text && !this.tools) await this.db.$transaction(async (tx) => publish(tx, this.run.id, await this.completeMessage(tx, null)));
    const tools = (this.tools ??= { stepId: (await this.openStep('tools', { type: 'tool_calls', tool_calls: [] })).id, calls: [] });
    let call = tools.calls[index];
    let delta: object;
    if (!call) {
      call = { id: id ?? newId('toolCall'), type: 'function', function: { name: name ?? '', arguments: args ?? '', output: null } };
      tools.calls[index] = call;
      delta = { index, id: call.id, type: 'function', function: { name: call.function.name, arguments: args ?? '', output: null } };
    } else {
      if (!args) return;
      call.function.arguments += args;
      delta = { index, type: 'function', function: { arguments: args } };
    }
    await publish(this.db, this.run.id, [
      { event: 'thread.run.step.delta', data: { id: tools.stepId, object: 'thread.run.step.delta', delta: { step_details: { type: 'tool_calls', tool_calls: [delta] } } } },
    ]);
  }

  private async newMessage(then: (messageId: string) => RunEvent[] = () => []) {
    const messageId = newId('message');
    const step = await this.openStep('message', {}, messageId, then(messageId));
    return { stepId: step.id, messageId, text: '' };
  }

  /** Writes the message's final text; `usage` null when a tool step of this turn carries it. */
  private async completeMessage(tx: Prisma.TransactionClient, usage: Usage | null, incomplete = false): Promise<RunEvent[]> {
    const m = this.message!;
    const now = nowSeconds();
    const messageFields = {
      content: textContent(m.text),
      status: incomplete ? 'incomplete' : 'completed',
      ...(incomplete ? { incompleteAt: now, incompleteDetails: { reason: 'max_tokens' } } : { completedAt: now }),
    };
    const stepFields = { status: 'completed', completedAt: now, usage: usage ?? zeroUsage, modelUsage: usage ?? undefined };
    const [done] = await tx.$queryRaw<{ message: MessageRow[]; step: RunStepRow[] }[]>(
      writes({
        message: Prisma.sql`UPDATE messages SET ${setList(messageFields)} WHERE id = ${m.messageId} RETURNING ${columnsOf(Prisma.MessageScalarFieldEnum)}`,
        step: Prisma.sql`UPDATE run_steps SET ${setList(stepFields)} WHERE id = ${m.stepId} RETURNING ${columnsOf(Prisma.RunStepScalarFieldEnum)}`,
      }),
    );
    const [message] = done!.message;
    const [step] = done!.step;
    if (!message || !step) throw new Error(`The answer's message ${m.messageId} or its step ${m.stepId} no longer exists`);
    return [
      { event: incomplete ? 'thread.message.incomplete' : 'thread.message.completed', data: messageToWire(message) },
      { event: 'thread.run.step.completed', data: stepToWire(step) },
    ];
  }

  async finish(usage: Usage, truncated: boolean): Promise<TurnResult> {
    const calls = this.tools?.calls.filter(Boolean) ?? [];
    if (this.tools && calls.length) {
      await this.db.runStep.update({ where: { id: this.tools.stepId }, data: { stepDetails: { type: 'tool_calls', tool_calls: calls as object[] }, modelUsage: usage } });
      return { kind: 'tool_calls', stepId: this.tools.stepId, callIds: calls.map((c) => c.id) };
    }
    // An empty answer still makes an (empty) message, so the run has something to show.
    this.message ??= await this.newMessage();
    // An answer in text ends the run here, in the same transaction as the message: the client
    // sees `thread.run.completed` right after it, not one workflow task later.
    const outcome: RunOutcome = truncated ? { status: 'incomplete', reason: 'max_completion_tokens' } : { status: 'completed' };
    await this.db.$transaction(async (tx) => {
      const events = await this.completeMessage(tx, usage, truncated);
      await publish(tx, this.run.id, [...events, ...(await closeRun(tx, this.run.id, outcome))]);
    });
    return { kind: 'ended', status: outcome.status };
  }
}

const textContent = (value: string) => [{ type: 'text', text: { value, annotations: [] } }];

function functionTools(tools: unknown): ToolSpec[] {
  return (tools as { type: string; function?: ToolSpec }[]).filter((t) => t.type === 'function' && t.function).map((t) => t.function!);
}

function toolChoiceOf(choice: unknown): ToolChoice {
  if (choice === 'none' || choice === 'required' || choice === 'auto') return choice;
  const c = choice as { type?: string; function?: { name: string } };
  return c?.type === 'function' && c.function ? { name: c.function.name } : 'auto';
}
