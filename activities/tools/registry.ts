import type { AssistantTool } from 'openai/resources/beta/assistants';
import type { ToolCallDelta } from 'openai/resources/beta/threads/runs/steps';
import type { ResponseCodeInterpreterToolCall, ResponseFileSearchToolCall } from 'openai/resources/responses/responses';
import type { RunRecord, StoredToolCall, ToolFile } from '../../src/db/records.js';
import type { ResponseRecord } from '../../src/db/responses.js';
import type { IdKind } from '../../src/ids.js';
import type { ToolCall, ToolSpec } from '../../src/llm/index.js';
import type { ItemAt, UnnumberedEvent } from '../../src/wire/response-events.js';

/** A tool call as the model made it: the function it named and its JSON arguments. */
export interface ModelCall {
  id: string;
  name: string;
  arguments: string;
}

/** What a server tool's `execute` gets besides the call: the run, and the activity's signals. */
export interface ToolContext {
  run: RunRecord;
  /** Fires when the run is cancelled or the activity times out. */
  signal: AbortSignal;
  /** Tells Temporal the tool is alive; long work calls it at least every few seconds. */
  heartbeat(): void;
  /** Records a file the call wrote and stored as a File, which the answer may link (records.ts `ToolFile`). */
  wrote(file: Omit<ToolFile, 'call_id'>): void;
}

/**
 * A tool the server runs itself (file_search, code_interpreter): offered to the model as a
 * function, executed as an activity of the run's workflow, its result read by the next model
 * turn with no client round trip.
 */
export interface ServerTool {
  /** The Assistants tool type that enables it on a run (`tools: [{type}]`). */
  readonly type: Exclude<AssistantTool['type'], 'function'>;
  /** The function the model is offered; its name is how a call is routed here. */
  readonly spec: ToolSpec;
  /** Longest one call may take (the activity's start-to-close timeout). */
  readonly timeoutMs: number;
  /** The run step's record of a call (whole arguments) before it ran: OpenAI's tool-call shape for this tool. */
  pending(call: ModelCall): StoredToolCall;
  /** Runs the call; returns its record with the outputs filled in. */
  execute(call: StoredToolCall, ctx: ToolContext): Promise<StoredToolCall>;
  /**
   * What the model is told besides the tool's description for this run (the files it can read,
   * say), added to the run's instructions; undefined: nothing.
   */
  instructions?(run: RunRecord): Promise<string | undefined>;
  /**
   * The call and its output as the model reads them on the next turn (null: not run yet).
   * `ordinal`: its place among the run's calls of this tool, from 0 (file_search numbers its
   * citation markers by it).
   */
  transcript(call: StoredToolCall, ordinal: number): { call: ToolCall; output: string | null };
  /**
   * Its stream deltas, as OpenAI streams this tool (openai-contract.md §4): the call's opening,
   * what each fragment of the model's arguments adds (nothing: undefined), and its outputs.
   * Without them the call shows its id and type while the model writes, then its whole record.
   */
  readonly deltas?: ToolDeltas;
  /** How a response runs it (the Responses API); a tool without one is refused there. */
  readonly responses?: ResponsesToolSide;
}

/**
 * The server tool types that have a Responses side: the API refuses the others in a response's
 * `tools` before anything starts (it has no registry of its own), and a registry refuses a
 * tool whose Responses side is not listed here, which no request could reach.
 */
export const RESPONSE_SERVER_TOOLS: ReadonlySet<string> = new Set(['code_interpreter', 'file_search']);

/** A server tool's output item in a response, stored whole (src/wire/response-items.ts hides what `include` did not ask for). */
export type ServerToolItem = ResponseCodeInterpreterToolCall | ResponseFileSearchToolCall;

/** What a response's server tool call sees: its response, and the activity's signals. */
export interface ResponseToolContext {
  response: ResponseRecord;
  signal: AbortSignal;
  heartbeat(): void;
  /** Records a file the call wrote and stored as a File (the response's `toolFiles`), which the answer may cite. */
  wrote(file: Omit<ToolFile, 'call_id'>): void;
}

/** The items a response's model sees before its turn (earlier responses', the conversation's, its own so far). */
export type ContextItem = { type?: string } & Record<string, unknown>;

/**
 * A server tool in a response: its output item through the call's life — opened while the
 * model writes the call, written once the arguments are whole, run as its own activity — and
 * the item's own stream events at each step, after `response.output_item.added` and before
 * `response.output_item.done` (which the projector and the tool activity send).
 */
export interface ResponsesToolSide {
  readonly itemType: ServerToolItem['type'];
  readonly idKind: IdKind;
  /** The item as the model starts the call; `context`: what the response can see (an earlier call's container, say). */
  open(id: string, call: ModelCall, response: ResponseRecord, context: readonly ContextItem[]): ServerToolItem;
  /** Events once the item was added (the arguments so far in `call`) and for each later fragment. */
  opened(at: ItemAt, call: ModelCall): UnnumberedEvent[];
  fragment(at: ItemAt, soFar: string, fragment: string): UnnumberedEvent[];
  /** The model has written the whole call: the item about to run, and the events that say so. */
  written(item: ServerToolItem, call: ModelCall, at: ItemAt): { item: ServerToolItem; events: UnnumberedEvent[] };
  /** Runs the call: the item with its outputs, and the events before its `output_item.done`. */
  execute(item: ServerToolItem, ctx: ResponseToolContext, at: ItemAt): Promise<{ item: ServerToolItem; events: UnnumberedEvent[] }>;
  /**
   * The call and its output as the model reads them on the next turn (null: not run yet).
   * `ordinal`: its place among the items of its type the response sees, from 0 (file_search
   * numbers its citation markers by it).
   */
  transcript(item: ServerToolItem, ordinal: number): { call: ToolCall; output: string | null };
  /** What the model is told besides the tool's description for this response (its files, say). */
  instructions?(response: ResponseRecord): Promise<string | undefined>;
}

type DeltaBody = Omit<ToolCallDelta, 'index'>;
export interface ToolDeltas {
  opening(call: ModelCall): DeltaBody;
  /** `soFar`: the arguments including `fragment`. */
  fragment(soFar: string, fragment: string): DeltaBody | undefined;
  outputs(done: StoredToolCall): DeltaBody;
}

/** How the workflow is to handle each call of a turn: the client's, or one to run here. */
export type Dispatch = { kind: 'client'; id: string } | { kind: 'server'; id: string; timeoutMs: number };

/**
 * Every tool a run can use, by kind: the client's `function` tools (answered through
 * `requires_action`) and the server's own. The model turn, the conversation and the tool
 * activity all ask here, so a new server tool is one entry.
 */
export class ToolRegistry {
  readonly #byName: Map<string, ServerTool>;

  constructor(serverTools: readonly ServerTool[] = []) {
    for (const t of serverTools) {
      if (t.responses && !RESPONSE_SERVER_TOOLS.has(t.type)) throw new Error(`The ${t.type} tool has a Responses side that RESPONSE_SERVER_TOOLS does not list`);
    }
    this.#byName = new Map(serverTools.map((t) => [t.spec.name, t]));
  }

  /** Whether a server tool of this type is here to run. */
  serves(type: string): boolean {
    return this.#byType(type) !== undefined;
  }

  /** The functions offered for a run: its function tools, then the server tools it enables. */
  offered(tools: AssistantTool[]): ToolSpec[] {
    const enabled = new Set(tools.map((t) => t.type));
    return [
      ...tools.flatMap((t): ToolSpec[] => (t.type === 'function' ? [{ ...t.function, strict: t.function.strict ?? undefined }] : [])),
      ...[...this.#byName.values()].filter((t) => enabled.has(t.type)).map((t) => t.spec),
    ];
  }

  /** What the run's enabled server tools add to its instructions (one read each at most). */
  async instructions(run: RunRecord): Promise<string[]> {
    const enabled = new Set(run.tools.map((t) => t.type));
    const notes = await Promise.all([...this.#byName.values()].filter((t) => t.instructions && enabled.has(t.type)).map((t) => t.instructions!(run)));
    return notes.filter((n): n is string => Boolean(n));
  }

  #serverTool(name: string, tools: AssistantTool[]): ServerTool | undefined {
    const tool = this.#byName.get(name);
    return tool && tools.some((t) => t.type === tool.type) && !tools.some((t) => t.type === 'function' && t.function.name === name) ? tool : undefined;
  }

  /** The step's record of a call the model made. */
  pending(call: ModelCall, tools: AssistantTool[]): StoredToolCall {
    return this.#serverTool(call.name, tools)?.pending(call) ?? { id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments, output: null } };
  }

  /** The stream's first delta of a call, and of each later fragment of its arguments. */
  openingDelta(index: number, call: ModelCall, tools: AssistantTool[]): ToolCallDelta {
    const server = this.#serverTool(call.name, tools);
    if (server?.deltas) return { index, ...server.deltas.opening(call) } as ToolCallDelta;
    // Its record needs the whole arguments; the stream shows it once it has run.
    if (server) return { index, id: call.id, type: server.type } as ToolCallDelta;
    return { index, id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments, output: null } };
  }

  argumentsDelta(index: number, call: ModelCall, fragment: string, tools: AssistantTool[]): ToolCallDelta | undefined {
    const server = this.#serverTool(call.name, tools);
    if (!server) return { index, type: 'function', function: { arguments: fragment } };
    const body = server.deltas?.fragment(call.arguments, fragment);
    return body && ({ index, ...body } as ToolCallDelta);
  }

  /** The stream's delta of a server call that has run. */
  outputsDelta(index: number, done: StoredToolCall): ToolCallDelta {
    return { index, ...(this.executor(done)?.deltas?.outputs(done) ?? done) } as ToolCallDelta;
  }

  dispatch(calls: StoredToolCall[], tools: AssistantTool[]): Dispatch[] {
    return calls.map((c) => {
      const server = c.type === 'function' ? undefined : this.#byType(c.type);
      return server && tools.some((t) => t.type === server.type) ? { kind: 'server', id: c.id, timeoutMs: server.timeoutMs } : { kind: 'client', id: c.id };
    });
  }

  /** The server tool that runs a stored call of its type. */
  executor(call: StoredToolCall): ServerTool | undefined {
    return call.type === 'function' ? undefined : this.#byType(call.type);
  }

  /** A stored call and its output as the model reads them; `ordinal` as ServerTool.transcript has it. */
  transcript(call: StoredToolCall, ordinal = 0): { call: ToolCall; output: string | null } | undefined {
    if (call.type === 'function') return { call: { id: call.id, name: call.function.name, arguments: call.function.arguments }, output: call.function.output };
    return this.#byType(call.type)?.transcript(call, ordinal);
  }

  // ── Responses ──────────────────────────────────────────────────────────────────────────

  /** The Responses side of the server tool a model's call goes to, if it goes to one. */
  responsesSide(name: string, tools: AssistantTool[]): ResponsesToolSide | undefined {
    return this.#serverTool(name, tools)?.responses;
  }

  /** The Responses side that runs and reads back a stored output item of its type, and its timeout. */
  itemTool(itemType: string): { side: ResponsesToolSide; timeoutMs: number } | undefined {
    const tool = [...this.#byName.values()].find((t) => t.responses?.itemType === itemType);
    return tool && { side: tool.responses!, timeoutMs: tool.timeoutMs };
  }

  /** What a response's enabled server tools add to its instructions. */
  async responseInstructions(response: ResponseRecord): Promise<string[]> {
    const enabled = new Set(response.tools.map((t) => t.type));
    const sides = [...this.#byName.values()].filter((t) => enabled.has(t.type)).flatMap((t) => (t.responses?.instructions ? [t.responses] : []));
    const notes = await Promise.all(sides.map((s) => s.instructions!(response)));
    return notes.filter((n): n is string => Boolean(n));
  }

  #byType(type: string): ServerTool | undefined {
    return [...this.#byName.values()].find((t) => t.type === type);
  }
}
