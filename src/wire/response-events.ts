import type { Response, ResponseOutputItem, ResponseOutputMessage, ResponseOutputText, ResponseStreamEvent } from 'openai/resources/responses/responses';

/**
 * The Responses stream-event contract, in one place, typed with the `openai` package's
 * `ResponseStreamEvent` union: every event a response's stream carries is built here. Events
 * are built without their `sequence_number`; the writer that stores them numbers them
 * (activities/turn/responses-projector.ts).
 */
type Distribute<T> = T extends unknown ? Omit<T, 'sequence_number'> : never;
export type UnnumberedEvent = Distribute<ResponseStreamEvent>;

export type Lifecycle = 'created' | 'queued' | 'in_progress' | 'completed' | 'incomplete' | 'failed';
export const lifecycleEvent = (phase: Lifecycle, response: Response): UnnumberedEvent => ({ type: `response.${phase}`, response }) as UnnumberedEvent;

/** The lifecycle event a response's end is shown by; a cancelled one ends with an `error`. */
export function endEvent(response: Response): UnnumberedEvent {
  if (response.status === 'completed' || response.status === 'incomplete' || response.status === 'failed') return lifecycleEvent(response.status, response);
  return { type: 'error', code: 'response_cancelled', message: 'The response was cancelled.', param: null };
}

export const ENDING_EVENTS: ReadonlySet<string> = new Set(['response.completed', 'response.incomplete', 'response.failed', 'error']);

export const itemAdded = (output_index: number, item: ResponseOutputItem): UnnumberedEvent => ({ type: 'response.output_item.added', output_index, item });
export const itemDone = (output_index: number, item: ResponseOutputItem): UnnumberedEvent => ({ type: 'response.output_item.done', output_index, item });

export type Annotation = ResponseOutputText['annotations'][number];
const part = (text: string, annotations: Annotation[] = []) => ({ type: 'output_text' as const, text, annotations, logprobs: [] });
export const partAdded = (output_index: number, item_id: string): UnnumberedEvent => ({ type: 'response.content_part.added', output_index, item_id, content_index: 0, part: part('') });
export const partDone = (output_index: number, item_id: string, text: string, annotations: Annotation[] = []): UnnumberedEvent => ({
  type: 'response.content_part.done',
  output_index,
  item_id,
  content_index: 0,
  part: part(text, annotations),
});
export const annotationAdded = (output_index: number, item_id: string, annotation_index: number, annotation: Annotation): UnnumberedEvent => ({
  type: 'response.output_text.annotation.added',
  output_index,
  item_id,
  content_index: 0,
  annotation_index,
  annotation,
});
export const textDelta = (output_index: number, item_id: string, delta: string): UnnumberedEvent => ({ type: 'response.output_text.delta', output_index, item_id, content_index: 0, delta, logprobs: [] });
export const textDone = (output_index: number, item_id: string, text: string): UnnumberedEvent => ({ type: 'response.output_text.done', output_index, item_id, content_index: 0, text, logprobs: [] });
export const argumentsDelta = (output_index: number, item_id: string, delta: string): UnnumberedEvent => ({ type: 'response.function_call_arguments.delta', output_index, item_id, delta });
export const argumentsDone = (output_index: number, item_id: string, name: string, args: string): UnnumberedEvent =>
  ({ type: 'response.function_call_arguments.done', output_index, item_id, name, arguments: args }) as UnnumberedEvent;

/** Where an item is in the stream: every item event names both. */
export interface ItemAt {
  output_index: number;
  item_id: string;
}

/** code_interpreter_call's own events, in OpenAI's order: in_progress, code deltas, code done, interpreting, completed. */
export const codeInterpreterEvent = (at: ItemAt, phase: 'in_progress' | 'interpreting' | 'completed'): UnnumberedEvent =>
  ({ type: `response.code_interpreter_call.${phase}`, ...at }) as UnnumberedEvent;
export const codeDelta = (at: ItemAt, delta: string): UnnumberedEvent => ({ type: 'response.code_interpreter_call_code.delta', ...at, delta });
export const codeDone = (at: ItemAt, code: string): UnnumberedEvent => ({ type: 'response.code_interpreter_call_code.done', ...at, code });

/** file_search_call's own events, in OpenAI's order: in_progress, searching, completed. */
export const fileSearchEvent = (at: ItemAt, phase: 'in_progress' | 'searching' | 'completed'): UnnumberedEvent =>
  ({ type: `response.file_search_call.${phase}`, ...at }) as UnnumberedEvent;

/** Numbers events from `next` on. */
export const numbered = (events: UnnumberedEvent[], next: number): ResponseStreamEvent[] => events.map((e, i) => ({ ...e, sequence_number: next + i }) as ResponseStreamEvent);

/** An output message as it stands: its one `output_text` part. */
export const messageItem = (id: string, text: string | null, status: ResponseOutputMessage['status'], annotations: Annotation[] = []): ResponseOutputMessage => ({
  id,
  type: 'message',
  role: 'assistant',
  status,
  content: text === null ? [] : [part(text, annotations)],
});
