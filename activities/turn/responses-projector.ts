import type { ResponseFunctionToolCall, ResponseOutputItem } from 'openai/resources/responses/responses';
import path from 'node:path';
import type { Db } from '../../src/db/client.js';
import type { Usage } from '../../src/db/records.js';
import { appendEvents, type ResponseRecord } from '../../src/db/responses.js';
import { newId } from '../../src/ids.js';
import type { RunOutcome } from '../../src/run-status.js';
import * as ev from '../../src/wire/response-events.js';
import { itemToWire } from '../../src/wire/response-items.js';
import { addUsage, endResponse, saveTurn, type ResponseBegun } from '../response-state.js';
import { citationsIn, responseCitable } from '../tools/file-search.js';
import type { ContextItem, ModelCall, ResponsesToolSide, ServerToolItem, ToolRegistry } from '../tools/registry.js';
import type { ResponseTurnResult } from '../types.js';
import { filePathAnnotations } from './assistants-projector.js';
import type { TurnProjector } from './machine.js';

/** A call the model is making: the client's function, or a server tool's item. */
type OpenCall = { at: ev.ItemAt } & ({ kind: 'function'; item: ResponseFunctionToolCall } | { kind: 'server'; item: ServerToolItem; side: ResponsesToolSide });

/**
 * The Responses API's view of a turn: output items (a message for text, a `function_call` item
 * per client call, a server tool's own item such as `code_interpreter_call`) streamed with
 * OpenAI's events and sequence numbers, stored as they go so a background response's stream
 * can be resumed. Function calls end the response: the client answers them in its next
 * request (`previous_response_id` + `function_call_output`). Server tool calls leave it in
 * progress: their items are stored about to run, and the workflow runs them, then the next turn.
 */
export class ResponsesProjector implements TurnProjector<ResponseTurnResult> {
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
    private readonly tools: ToolRegistry,
    /** What the response's model sees (where a server tool finds an earlier call's container, say). */
    private readonly context: readonly ContextItem[],
  ) {}

  async #started(): Promise<void> {
    if (this.#begun) return;
    const begun = await this.ready;
    if (begun.kind !== 'ok') throw new Error(`The response could not start this turn (${JSON.stringify(begun.result)})`);
    // Items an interrupted attempt (or an earlier turn) opened keep their indexes: this turn's come after them.
    this.#next = begun.items;
    this.#seq = begun.next;
    this.#begun = true;
  }

  async #emit(events: ev.UnnumberedEvent[]): Promise<void> {
    await this.#started();
    await appendEvents(this.db, this.response.id, ev.numbered(events, this.#seq));
    this.#seq += events.length;
  }

  /** An item as the stream shows it. */
  #wire = <T extends { type: string }>(item: T): T => itemToWire(item, this.response.request.include);

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

  /**
   * The events closing the open message, which joins the output. Its citations (`#citations`)
   * are its annotations, each announced before the text is done.
   */
  #closeMessage(text: string, status: 'completed' | 'incomplete'): ev.UnnumberedEvent[] {
    const m = this.#message;
    if (!m) return [];
    this.#message = undefined;
    const annotations = this.#citations(text);
    const item = ev.messageItem(m.id, text, status, annotations);
    this.#output.push(item);
    return [
      ...annotations.map((a, i) => ev.annotationAdded(m.index, m.id, i, a)),
      ev.textDone(m.index, m.id, text),
      ev.partDone(m.index, m.id, text, annotations),
      ev.itemDone(m.index, item),
    ];
  }

  /**
   * The answer's annotations in text order: a `file_citation` at each marker of a file_search
   * result the response's model read (file-search.ts `citationMarker`; `index` is where the
   * marker starts, in code points), and a `container_file_citation` for each link to a file
   * its code wrote.
   */
  #citations(text: string): ev.Annotation[] {
    const citable = responseCitable(this.context);
    const ids = new Map([...citable].map(([key, r]) => [key, r.fileId]));
    const names = new Map([...citable.values()].map((r) => [r.fileId, r.filename]));
    const cited = citationsIn(text, ids).map((c) => ({ at: c.start, annotation: { type: 'file_citation' as const, file_id: c.fileId, filename: names.get(c.fileId) ?? '', index: c.start } }));
    const linked = this.#containerCitations(text).map((a) => ({ at: a.start_index, annotation: a }));
    return [...cited, ...linked].sort((a, b) => a.at - b.at).map((a) => a.annotation);
  }

  #containerCitations(text: string): Extract<ev.Annotation, { type: 'container_file_citation' }>[] {
    if (this.response.toolFiles.length === 0) return [];
    const files = new Map(this.response.toolFiles.map((f) => [f.path, f.file_id]));
    const containers = new Map(this.response.toolFiles.map((f) => [f.file_id, this.#containerOfCall(f.call_id)]));
    return filePathAnnotations(text, files).map((a) => ({
      type: 'container_file_citation',
      container_id: containers.get(a.file_path.file_id) ?? '',
      file_id: a.file_path.file_id,
      filename: path.basename(a.text),
      start_index: a.start_index,
      end_index: a.end_index,
    }));
  }

  #containerOfCall(itemId: string): string | undefined {
    const item = this.response.output.find((i) => i.id === itemId);
    return item && 'container_id' in item ? item.container_id : undefined;
  }

  async closeTextBeforeTools(text: string): Promise<void> {
    await this.#emit(this.#closeMessage(text, 'completed'));
  }

  async openToolCall(index: number, call: ModelCall): Promise<void> {
    await this.#started();
    const output_index = this.#next++;
    const side = this.tools.responsesSide(call.name, this.response.tools);
    if (side) {
      const item = side.open(newId(side.idKind), call, this.response, this.context);
      const open: OpenCall = { kind: 'server', at: { output_index, item_id: item.id }, item, side };
      this.#calls.set(index, open);
      await this.#emit([ev.itemAdded(output_index, this.#wire(item)), ...side.opened(open.at, call)]);
      return;
    }
    const item: ResponseFunctionToolCall = { type: 'function_call', id: newId('functionCall'), call_id: call.id, name: call.name, arguments: '', status: 'in_progress' };
    this.#calls.set(index, { kind: 'function', at: { output_index, item_id: item.id! }, item });
    await this.#emit([ev.itemAdded(output_index, item), ...(call.arguments ? [ev.argumentsDelta(output_index, item.id!, call.arguments)] : [])]);
  }

  async appendToolArguments(index: number, call: ModelCall, fragment: string): Promise<void> {
    const open = this.#calls.get(index)!;
    const events = open.kind === 'server' ? open.side.fragment(open.at, call.arguments, fragment) : [ev.argumentsDelta(open.at.output_index, open.at.item_id, fragment)];
    if (events.length) await this.#emit(events);
  }

  /**
   * The events closing every open call with its whole arguments (`calls`, by the model's index;
   * none: it was cut short); they join the output. A server call that is whole is about to run,
   * so its item stays open until it has.
   */
  #closeCalls(calls: ModelCall[] | null): ev.UnnumberedEvent[] {
    return [...this.#calls.entries()].flatMap(([i, open]) => {
      const call = calls?.[i];
      if (open.kind === 'server') {
        if (!call) {
          const cut = { ...open.item, status: 'incomplete' } as ServerToolItem;
          this.#output.push(cut);
          return [ev.itemDone(open.at.output_index, this.#wire(cut))];
        }
        const written = open.side.written(open.item, call, open.at);
        this.#output.push(written.item);
        return written.events;
      }
      const item: ResponseFunctionToolCall = { ...open.item, arguments: call?.arguments ?? '', status: call ? 'completed' : 'incomplete' };
      this.#output.push(item);
      return [ev.argumentsDone(open.at.output_index, item.id!, item.name, item.arguments), ev.itemDone(open.at.output_index, item)];
    });
  }

  async keepPartial(text: string): Promise<void> {
    // A stream that showed the items sees them end; the retried attempt streams new ones.
    if (!this.#begun) return;
    await this.#emit([...this.#closeMessage(text, 'incomplete'), ...this.#closeCalls(null)]);
  }

  async endWithToolCalls(calls: ModelCall[], usage: Usage): Promise<ResponseTurnResult> {
    const closing = this.#closeCalls(calls);
    const server = [...this.#calls.values()].filter((c) => c.kind === 'server');
    if (!server.length) return this.#end(closing, usage, 'completed');
    await this.#started();
    const output = [...this.response.output, ...this.#output];
    await this.db.$transaction((tx) => saveTurn(tx, this.response.id, output, addUsage(this.response.usage, usage), closing, this.#seq));
    return {
      kind: 'server_tools',
      calls: server.map((c) => ({ itemId: c.at.item_id, timeoutMs: this.tools.itemTool(c.item.type)!.timeoutMs })),
      thenComplete: server.length < this.#calls.size,
    };
  }

  async endWithText(text: string, usage: Usage, outcome: RunOutcome): Promise<ResponseTurnResult> {
    // An empty answer still makes an (empty) message, as an answer in text does.
    if (!this.#message) await this.#openMessage('');
    const status = outcome.status === 'incomplete' ? 'incomplete' : 'completed';
    return this.#end(this.#closeMessage(text, status), usage, status);
  }

  async #end(closing: ev.UnnumberedEvent[], usage: Usage, status: 'completed' | 'incomplete'): Promise<ResponseTurnResult> {
    await this.#started();
    const output = [...this.response.output, ...this.#output];
    await this.db.$transaction((tx) => endResponse(tx, this.response.id, { status, output, usage: addUsage(this.response.usage, usage) }, closing, this.#seq));
    return { kind: 'ended', status };
  }
}
