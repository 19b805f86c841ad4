import type { ResponseFunctionToolCall, ResponseOutputItem } from 'openai/resources/responses/responses';
import type { Db } from '../../src/db/client.js';
import type { Usage } from '../../src/db/records.js';
import { appendEvents, type ResponseRecord } from '../../src/db/responses.js';
import { newId } from '../../src/ids.js';
import type { RunOutcome } from '../../src/run-status.js';
import * as ev from '../../src/wire/response-events.js';
import { endResponse, type ResponseBegun } from '../response-state.js';
import type { ModelCall } from '../tools/registry.js';
import type { TurnResult } from '../types.js';
import type { TurnProjector } from './machine.js';

type OpenCall = { index: number; item: ResponseFunctionToolCall };

/**
 * The Responses API's view of a turn: output items (a message for text, a `function_call` item
 * per call) streamed with OpenAI's events and sequence numbers, stored as they go so a
 * background response's stream can be resumed. Function calls end the response: the client
 * answers them in its next request (`previous_response_id` + `function_call_output`).
 */
export class ResponsesProjector implements TurnProjector {
  #next = 0;
  #seq = 0;
  #begun = false;
  #message?: { id: string; index: number };
  readonly #calls = new Map<number, OpenCall>();
  readonly #output: ResponseOutputItem[] = [];

  constructor(
    private readonly db: Db,
    private readonly response: ResponseRecord,
    /** The turn's start: where the stream stands (a retried attempt numbers on from there). */
    private readonly ready: Promise<ResponseBegun>,
  ) {}

  async #started(): Promise<void> {
    if (this.#begun) return;
    const begun = await this.ready;
    if (begun.kind !== 'ok') throw new Error(`The response could not start this turn (${JSON.stringify(begun.result)})`);
    // Items an interrupted attempt opened keep their indexes: this attempt's come after them.
    this.#next = begun.items;
    this.#seq = begun.next;
    this.#begun = true;
  }

  async #emit(events: ev.UnnumberedEvent[]): Promise<void> {
    await this.#started();
    await appendEvents(this.db, this.response.id, ev.numbered(events, this.#seq));
    this.#seq += events.length;
  }

  async #openMessage(first: string): Promise<void> {
    await this.#started();
    const m = { id: newId('message'), index: this.#next++ };
    this.#message = m;
    await this.#emit([ev.itemAdded(m.index, ev.messageItem(m.id, null, 'in_progress')), ev.partAdded(m.index, m.id), ...(first ? [ev.textDelta(m.index, m.id, first)] : [])]);
  }

  openText(first: string): Promise<void> {
    return this.#openMessage(first);
  }

  async appendText(fragment: string): Promise<void> {
    await this.#emit([ev.textDelta(this.#message!.index, this.#message!.id, fragment)]);
  }

  /** The events closing the open message, which joins the output. */
  #closeMessage(text: string, status: 'completed' | 'incomplete'): ev.UnnumberedEvent[] {
    const m = this.#message;
    if (!m) return [];
    this.#message = undefined;
    const item = ev.messageItem(m.id, text, status);
    this.#output.push(item);
    return [ev.textDone(m.index, m.id, text), ev.partDone(m.index, m.id, text), ev.itemDone(m.index, item)];
  }

  async closeTextBeforeTools(text: string): Promise<void> {
    await this.#emit(this.#closeMessage(text, 'completed'));
  }

  async openToolCall(index: number, call: ModelCall): Promise<void> {
    await this.#started();
    const open: OpenCall = {
      index: this.#next++,
      item: { type: 'function_call', id: newId('functionCall'), call_id: call.id, name: call.name, arguments: '', status: 'in_progress' },
    };
    this.#calls.set(index, open);
    await this.#emit([ev.itemAdded(open.index, open.item), ...(call.arguments ? [ev.argumentsDelta(open.index, open.item.id!, call.arguments)] : [])]);
  }

  async appendToolArguments(index: number, _call: ModelCall, fragment: string): Promise<void> {
    const open = this.#calls.get(index)!;
    await this.#emit([ev.argumentsDelta(open.index, open.item.id!, fragment)]);
  }

  /** The events closing every open call with its whole arguments; they join the output. */
  #closeCalls(calls: ModelCall[], status: 'completed' | 'incomplete'): ev.UnnumberedEvent[] {
    return [...this.#calls.entries()].flatMap(([i, open]) => {
      const args = calls[i]?.arguments ?? '';
      const item: ResponseFunctionToolCall = { ...open.item, arguments: args, status };
      this.#output.push(item);
      return [ev.argumentsDone(open.index, item.id!, item.name, args), ev.itemDone(open.index, item)];
    });
  }

  async keepPartial(text: string): Promise<void> {
    // A stream that showed the items sees them end; the retried attempt streams new ones.
    if (!this.#begun) return;
    await this.#emit([...this.#closeMessage(text, 'incomplete'), ...this.#closeCalls([], 'incomplete')]);
  }

  async endWithToolCalls(calls: ModelCall[], usage: Usage): Promise<TurnResult> {
    return this.#end(this.#closeCalls(calls, 'completed'), usage, 'completed');
  }

  async endWithText(text: string, usage: Usage, outcome: RunOutcome): Promise<TurnResult> {
    // An empty answer still makes an (empty) message, as an answer in text does.
    if (!this.#message) await this.#openMessage('');
    const status = outcome.status === 'incomplete' ? 'incomplete' : 'completed';
    return this.#end(this.#closeMessage(text, status), usage, status);
  }

  async #end(closing: ev.UnnumberedEvent[], usage: Usage, status: 'completed' | 'incomplete'): Promise<TurnResult> {
    await this.#started();
    const output = [...this.response.output, ...this.#output];
    await this.db.$transaction((tx) => endResponse(tx, this.response.id, { status, output, usage }, closing, this.#seq));
    return { kind: 'ended', status };
  }
}
