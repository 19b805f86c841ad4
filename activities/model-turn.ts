import { Context } from '@temporalio/activity';
import type { Db } from '../src/db/client.js';
import type { RunRecord } from '../src/db/records.js';
import { readCommitted } from '../src/db/run-lock.js';
import { updateMessage } from '../src/db/messages.js';
import { deleteSteps, readTranscript, updateStep, type Transcript } from '../src/db/runs.js';
import { publish } from '../src/events/publish.js';
import type { ToolChoice } from '../src/llm/index.js';
import type { Logger } from '../src/log.js';
import { isTerminal } from '../src/run-status.js';
import { nowSeconds } from '../src/time.js';
import { messageEvent, stepEvent, type StreamEvent } from '../src/wire/stream-events.js';
import type { RunState } from './run-state.js';
import type { ToolRegistry } from './tools/registry.js';
import { AssistantsProjector, stepKey } from './turn/assistants-projector.js';
import { conversationFor, toolMadeBefore } from './turn/conversation.js';
import { driveTurn, type ModelTurnConfig } from './turn/drive.js';
import { TurnMachine } from './turn/machine.js';
import type { TurnResult } from './types.js';

type Begun = Awaited<ReturnType<RunState['beginTurn']>>;

/** What the workflow hears when the turn could not start: the run moved on without it. */
function notStarted(begun: Exclude<Begun, 'ok'>): TurnResult {
  if (begun === 'gone') return { kind: 'gone' };
  if (begun === 'cancelling') return { kind: 'cancelling' };
  return { kind: 'ended', status: begun.ended };
}

/**
 * One model call of a run: the model's stream drives the turn's state machine (./turn/drive.ts),
 * whose projector writes the steps and message and publishes their events as it goes. Steps are
 * keyed by turn, so a retried attempt replaces what an earlier attempt wrote instead of adding more.
 */
export function modelTurnActivity(db: Db, llm: ModelTurnConfig, log: Logger, tools: ToolRegistry, state: Pick<RunState, 'loadRun' | 'beginTurn' | 'finishRun'>) {
  return async function modelTurn(runId: string, turn: number): Promise<TurnResult> {
    const ctx = Context.current();
    // The API may still be committing the run (src/db/run-lock.ts); both reads must see it.
    const loaded = await readCommitted(db, runId, async () => {
      const [run, transcript] = await Promise.all([state.loadRun(runId), readTranscript(db, runId)]);
      return run && transcript ? { run, transcript } : null;
    });
    if (!loaded) return { kind: 'gone' };
    const { run, transcript } = loaded;
    if (run.status === 'cancelling') return { kind: 'cancelling' };
    if (isTerminal(run.status)) return { kind: 'ended', status: run.status };
    const runLog = log.child({ run_id: runId, turn, attempt: ctx.info.attempt });
    /** The prompt exceeds `max_prompt_tokens`: the run ends `incomplete` without calling the model. */
    const promptTooLong = async (begun: Begun): Promise<TurnResult> => {
      if (begun !== 'ok') return notStarted(begun);
      runLog.info({ max_prompt_tokens: run.maxPromptTokens }, 'prompt does not fit max_prompt_tokens');
      await state.finishRun(runId, { status: 'incomplete', reason: 'max_prompt_tokens' });
      return { kind: 'ended', status: 'incomplete' };
    };

    // Only runs with a server tool that has something to say (code_interpreter's files) read more.
    const toolNotes = await tools.instructions(run);

    // Only those reads (and the tools' notes) stand between here and the model call. Starting the turn (queued →
    // in_progress, clearing what an earlier attempt left) runs alongside the call.
    const ready = Promise.all([state.beginTurn(run), replaceEarlierAttempt(db, run, turn, transcript.steps)]).then(([begun]) => begun);
    const offered = tools.offered(run.tools);
    const messages = conversationFor(run, transcript, turn, tools, offered, toolNotes);
    if (!messages) return promptTooLong(await ready);
    return driveTurn({
      llm,
      machine: new TurnMachine(new AssistantsProjector(db, run, turn, tools, ready, toolMadeBefore(transcript, turn))),
      request: {
        model: run.model,
        messages,
        tools: offered,
        toolChoice: toolChoiceOf(run.toolChoice),
        parallelToolCalls: run.parallelToolCalls,
        temperature: run.temperature,
        topP: run.topP,
        maxTokens: run.maxCompletionTokens,
        responseFormat: run.responseFormat,
        reasoningEffort: run.reasoningEffort,
      },
      ready,
      notStarted: (begun) => (begun === 'ok' ? undefined : notStarted(begun)),
      completionCap: run.maxCompletionTokens !== null,
      expiresAt: run.expiresAt,
      project: { db, id: run.projectId },
      log: runLog,
    });
  };
}

/**
 * A retried turn starts over. What an earlier attempt (failed, or on a worker that died) left
 * is closed for the streams that showed it — re-streaming into the same message would double
 * its text in the SDK's snapshot — and then removed, so the run keeps one step and one message
 * per answer.
 */
async function replaceEarlierAttempt(db: Db, run: RunRecord, turn: number, runSteps: Transcript['steps']): Promise<void> {
  const keys = [stepKey(turn, 'message'), stepKey(turn, 'tools')];
  const steps = runSteps.filter((s) => keys.includes(s.key));
  if (steps.length === 0) return;
  const now = nowSeconds();
  await db.$transaction(async (tx) => {
    const events: StreamEvent[] = [];
    for (const step of steps) {
      if (step.status !== 'in_progress') continue;
      if (step.stepDetails.type === 'message_creation') {
        const message = await updateMessage(tx, step.stepDetails.message_creation.message_id, { status: 'incomplete', incompleteAt: now, incompleteDetails: { reason: 'run_failed' } });
        if (message) events.push(messageEvent('incomplete', message));
      }
      const failed = await updateStep(tx, step.id, { status: 'failed', failedAt: now, lastError: { code: 'server_error', message: 'The model call was interrupted; it is being retried.' } });
      events.push(stepEvent('failed', failed!));
    }
    await publish(tx, run.id, events);
    await deleteSteps(tx, steps);
  });
}

function toolChoiceOf(choice: RunRecord['toolChoice']): ToolChoice {
  if (choice === 'none' || choice === 'required' || choice === 'auto') return choice;
  return choice.type === 'function' && choice.function ? { name: choice.function.name } : 'auto';
}
