import type { AssistantStreamEvent } from 'openai/resources/beta/assistants';
import type { MessageDeltaEvent } from 'openai/resources/beta/threads/messages';
import type { Run } from 'openai/resources/beta/threads/runs/runs';
import type { RunStepDeltaEvent, ToolCallDelta } from 'openai/resources/beta/threads/runs/steps';
import type { ErrorObject } from 'openai/resources/shared';
import type { ClosedRun, MessageRecord, RunRecord, StepRecord, ThreadRecord } from '../db/records.js';
import { messageToWire } from './message.js';
import { runToWire } from './run.js';
import { stepToWire } from './step.js';
import { threadToWire } from './thread.js';

/**
 * The Assistants stream-event contract (docs/wire-contract.md §4), in one place: every SSE frame a
 * run produces is built here — by the activities, the services and the SSE writer alike — and
 * typed with the `openai` package's `AssistantStreamEvent` union.
 *
 * One deliberate difference: `error` carries `{error: {...}}`, not the bare error object the
 * union names, because both SDKs raise on a top-level `error` key and Python ignores a bare one.
 */
export type StreamEvent = Exclude<AssistantStreamEvent, AssistantStreamEvent.ErrorEvent> | ErrorFrame;
export interface ErrorFrame {
  event: 'error';
  data: { error: ErrorObject };
}
export type StreamEventName = StreamEvent['event'];

type EventOf<D> = Extract<StreamEvent, { data: D }>['event'];
type Suffix<E extends string, P extends string> = E extends `${P}${infer S}` ? S : never;

export type RunPhase = Suffix<EventOf<Run>, 'thread.run.'>;
export type StepPhase = Suffix<Exclude<EventOf<ReturnType<typeof stepToWire>>, 'thread.run.step.delta'>, 'thread.run.step.'>;
export type MessagePhase = Suffix<EventOf<ReturnType<typeof messageToWire>>, 'thread.message.'>;

// Each builder pairs an event name with the snapshot it names; TypeScript cannot see through
// the template literal to the union member, hence the one `as` in each.
export const runEvent = (phase: RunPhase, run: RunRecord): StreamEvent => ({ event: `thread.run.${phase}`, data: runToWire(run) }) as StreamEvent;
export const stepEvent = (phase: StepPhase, step: StepRecord): StreamEvent => ({ event: `thread.run.step.${phase}`, data: stepToWire(step) }) as StreamEvent;
export const messageEvent = (phase: MessagePhase, message: MessageRecord): StreamEvent =>
  ({ event: `thread.message.${phase}`, data: messageToWire(message) }) as StreamEvent;
export const threadCreated = (thread: ThreadRecord): StreamEvent => ({ event: 'thread.created', data: threadToWire(thread) });

/** A run's status change as its event: every status has one (`thread.run.<status>`). */
export const runStatusEvent = (run: RunRecord): StreamEvent => runEvent(run.status, run);

/**
 * A text fragment of the message's text part (at `index`: after the images the message shows);
 * the first one opens the part with its annotations.
 */
export function textDelta(messageId: string, value: string, first: boolean, index = 0): StreamEvent {
  return messageDelta(messageId, [{ index, type: 'text', text: first ? { value, annotations: [] } : { value } }]);
}

/** Content parts of a message, or what is new in them (the SDK merges by `index`). */
export function messageDelta(messageId: string, content: NonNullable<MessageDeltaEvent['delta']['content']>): StreamEvent {
  const data: MessageDeltaEvent = { id: messageId, object: 'thread.message.delta', delta: { content } };
  return { event: 'thread.message.delta', data };
}

/** A fragment of one tool call in a `tool_calls` step: only what is new (the SDK concatenates strings). */
export function toolCallDelta(stepId: string, delta: ToolCallDelta): StreamEvent {
  const data: RunStepDeltaEvent = { id: stepId, object: 'thread.run.step.delta', delta: { step_details: { type: 'tool_calls', tool_calls: [delta] } } };
  return { event: 'thread.run.step.delta', data };
}

export const errorEvent = (message: string): StreamEvent => ({ event: 'error', data: { error: { message, type: 'server_error', param: null, code: 'server_error' } } });

/** After these a stream ends with `done`: the run is over, or waits for tool outputs. */
const LAST_EVENTS: ReadonlySet<StreamEventName> = new Set(
  (['requires_action', 'completed', 'failed', 'cancelled', 'expired', 'incomplete'] satisfies RunPhase[]).map((s): StreamEventName => `thread.run.${s}`),
);
export const endsStream = (e: StreamEvent): boolean => LAST_EVENTS.has(e.event);

/** A run's end as its stream shows it: the messages and steps it closed, then the run (docs/wire-contract.md §4 e). */
export function closedRunEvents(closed: ClosedRun | null): StreamEvent[] {
  if (!closed) return [];
  return [
    ...closed.messages.map((m) => messageEvent('incomplete', m)),
    ...closed.steps.map((s) => stepEvent(s.status, s)),
    runStatusEvent(closed.run),
  ];
}
