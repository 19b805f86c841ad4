/**
 * Tool calls that a model wrote as text. Small open models served with native tools (llama.cpp
 * `--jinja`, vLLM, Ollama) often print the call instead of emitting it — bare or fenced JSON
 * `{"name": ..., "arguments": ...}`, a list of those, Hermes/Qwen `<tool_call>…</tool_call>`,
 * Mistral `[TOOL_CALLS]…`, Llama 3 `<|python_tag|>…` — and the server passes it on as content.
 * This wrapper turns such text into real tool calls when it names an offered function with
 * arguments that match its schema, and leaves anything else as the text it was.
 *
 * While streaming, text that may be the start of a call is held back until it is decided, so call
 * JSON never reaches the client as message text; anything else streams at once. Text after a
 * recovered call is dropped: a turn's text precedes its calls, as the activities expect.
 */
import { log } from '../log.js';
import { balancedEnd, firstJsonValue, isObject } from './lenient-json.js';
import { checkCall, offeredTools, type CheckedCall } from './tool-arguments.js';
import type { ChatEvent, ChatModel, ChatRequest, ToolSpec } from './types.js';
import { newToolCallId } from './util.js';

/** Markers some chat templates print before a call (a code fence opens one too). */
const OPENERS = ['```', '<tool_call>', '[TOOL_CALLS]', '<|python_tag|>'] as const;
/** First keys of the JSON shapes below; a JSON object starting with any other key is not a call. */
const CALL_KEYS = ['name', 'arguments', 'parameters', 'function', 'type', 'tool_calls'];

export class TextToolCallsModel implements ChatModel {
  readonly #inner: ChatModel;

  constructor(inner: ChatModel) {
    this.#inner = inner;
  }

  async *stream(req: ChatRequest): AsyncGenerator<ChatEvent> {
    const tools = offeredTools(req);
    if (!tools.length) return yield* this.#inner.stream(req);
    const reader = new TextCallReader(tools, req);
    for await (const event of this.#inner.stream(req)) {
      if (event.type === 'text') yield* reader.push(event.delta);
      else if (event.type === 'tool_call') {
        // The server does emit real calls: the text is what it says, and indexes follow ours.
        yield* reader.stop();
        yield { ...event, index: event.index + reader.calls };
      } else {
        yield* reader.end();
        yield reader.calls ? { ...event, reason: 'tool_calls' } : event;
      }
    }
  }
}

type Prefix = 'call' | 'maybe' | 'text';

/**
 * Whether text from a possible start on is a call written as text (`call`: its first JSON key
 * is one a call starts with), may still become one (`maybe`), or cannot (`text`).
 */
export function classifyPrefix(held: string): Prefix {
  let rest = held.trimStart();
  const opener = OPENERS.find((o) => rest.startsWith(o));
  if (opener) {
    rest = rest.slice(opener.length);
    if (opener === '```') {
      // The fence's language word (```json) ends at the first whitespace.
      const lang = /^[\w-]*\s/.exec(rest);
      if (!lang) return /^[\w-]*$/.test(rest) ? 'maybe' : 'text';
      rest = rest.slice(lang[0].length);
    }
  } else if (OPENERS.some((o) => o.startsWith(rest))) return 'maybe';
  rest = rest.trimStart();
  if (rest.startsWith('[')) rest = rest.slice(1).trimStart();
  if (!rest) return 'maybe';
  if (!rest.startsWith('{')) return 'text';
  rest = rest.slice(1).trimStart();
  if (!rest) return 'maybe';
  if (!rest.startsWith('"')) return 'text';
  const [, key = '', closed] = /^"([^"]*)(")?/.exec(rest) ?? [];
  if (closed) return CALL_KEYS.includes(key) ? 'call' : 'text';
  return CALL_KEYS.some((k) => k.startsWith(key)) ? 'maybe' : 'text';
}

/** The text form of calls, parsed: every call must name an offered tool with valid arguments. */
export function parseTextCalls(text: string, tools: ToolSpec[]): { calls: CheckedCall[] } | { problem: string } {
  const value = firstJsonValue(text, { arrays: true });
  if (value === undefined) return { problem: 'it holds no complete JSON' };
  const items = Array.isArray(value) ? value : isObject(value) && Array.isArray(value.tool_calls) ? value.tool_calls : [value];
  if (!items.length) return { problem: 'the list of calls is empty' };
  const calls: CheckedCall[] = [];
  for (const item of items) {
    // `{"type": "function", "function": {name, arguments}}`: the chat-completions shape, printed.
    const call = checkCall(isObject(item) && isObject(item.function) ? item.function : item, tools);
    if ('problem' in call) return call;
    calls.push(call);
  }
  return { calls };
}

/** Where a segment that `classifyPrefix` calls a `call` ends (just past its closing marker), or -1 while it is open. */
function segmentEnd(held: string): number {
  const lead = held.length - held.trimStart().length;
  const opener = OPENERS.find((o) => held.startsWith(o, lead));
  const jsonStart = held.slice(lead + (opener?.length ?? 0)).search(/[[{]/) + lead + (opener?.length ?? 0);
  const jsonEnd = balancedEnd(held, jsonStart);
  if (jsonEnd === -1) return -1;
  if (opener === '```') return through(held, jsonEnd, '```');
  if (opener === '<tool_call>') return through(held, jsonEnd, '</tool_call>');
  return jsonEnd;
}

/** Just past `closer` when only whitespace precedes it; `from` when other text does (the model left it out); -1 while undecided. */
function through(text: string, from: number, closer: string): number {
  const rest = text.slice(from);
  const trimmed = rest.trimStart();
  if (trimmed.startsWith(closer)) return from + rest.length - trimmed.length + closer.length;
  return closer.startsWith(trimmed) ? -1 : from;
}

/** The earliest full opener in `text` from `from` on, else where a partial one at its very end begins. */
function openerAt(text: string, from: number): { index: number; partial: boolean } | undefined {
  const full = OPENERS.map((o) => text.indexOf(o, from)).filter((i) => i !== -1);
  if (full.length) return { index: Math.min(...full), partial: false };
  for (let index = Math.max(from, text.length - 16); index < text.length; index++) {
    const tail = text.slice(index);
    if (OPENERS.some((o) => o.startsWith(tail))) return { index, partial: true };
  }
  return undefined;
}

/**
 * The streaming decision. `lead`: the held text starts where a call may start (the reply's start,
 * or right after a call); `text`: ordinary text, streamed, with only an opener (or what may be
 * the start of one at the very end) held back; `off`: everything passes through.
 */
class TextCallReader {
  #mode: 'lead' | 'text' | 'off' = 'lead';
  #held = '';
  /** In `text` mode, where to look for an opener: past the one of a segment that turned out not to be a call. */
  #scanFrom = 0;
  #calls = 0;

  constructor(
    private readonly tools: ToolSpec[],
    private readonly req: ChatRequest,
  ) {}

  /** How many calls were recovered from text so far. */
  get calls(): number {
    return this.#calls;
  }

  *push(delta: string): Generator<ChatEvent> {
    this.#held += delta;
    yield* this.#drain(false);
  }

  *end(): Generator<ChatEvent> {
    yield* this.#drain(true);
  }

  /** Releases what is held as text and stops looking. */
  *stop(): Generator<ChatEvent> {
    this.#mode = 'off';
    yield* this.#drain(true);
  }

  *#drain(final: boolean): Generator<ChatEvent> {
    for (;;) {
      if (this.#mode === 'off' || (this.#mode === 'text' && final)) return yield* this.#release(this.#held.length);
      if (this.#mode === 'text') {
        const opener = openerAt(this.#held, this.#scanFrom);
        this.#scanFrom = 0;
        if (!opener) return yield* this.#release(this.#held.length);
        yield* this.#release(opener.index);
        if (opener.partial) return;
        this.#mode = 'lead';
        continue;
      }
      const prefix = classifyPrefix(this.#held);
      if (prefix === 'text') {
        this.#reject();
        continue;
      }
      if (final) {
        if (!this.#held.trim()) return yield* this.#release(this.#held.length);
        return yield* this.#decide(this.#held.length, prefix === 'call');
      }
      if (prefix === 'maybe') return;
      const end = segmentEnd(this.#held);
      if (end === -1) return;
      yield* this.#decide(end, true);
    }
  }

  /** The held text up to `end` is one whole segment: calls, or text after all. */
  *#decide(end: number, looksLikeCall: boolean): Generator<ChatEvent> {
    const parsed = parseTextCalls(this.#held.slice(0, end), this.tools);
    if ('problem' in parsed) {
      if (looksLikeCall) log.info({ model: this.req.model, problem: parsed.problem }, 'reply looks like a tool call written as text but is kept as text');
      this.#mode = 'text';
      return yield* this.#release(end);
    }
    this.#held = this.#held.slice(end);
    for (const call of parsed.calls) {
      // Without parallel calls only the first one is honoured, as a native server would.
      if (this.#calls && !this.req.parallelToolCalls) break;
      yield { type: 'tool_call', index: this.#calls++, id: newToolCallId(), name: call.name, argumentsDelta: call.arguments };
    }
  }

  /** Not a call: its opener (or first character) is text, and what follows is scanned as text. */
  #reject(): void {
    const lead = this.#held.length - this.#held.trimStart().length;
    const opener = OPENERS.find((o) => this.#held.startsWith(o, lead));
    this.#mode = 'text';
    this.#scanFrom = lead + (opener?.length ?? 1);
  }

  *#release(end: number): Generator<ChatEvent> {
    const text = this.#held.slice(0, end);
    this.#held = this.#held.slice(end);
    if (!text) return;
    // A turn's text comes before its tool calls (as native servers send it): chatter after a call is dropped.
    if (this.#calls && this.#mode !== 'off') {
      if (text.trim()) log.debug({ model: this.req.model, text }, 'text after a tool call written as text is dropped');
      return;
    }
    yield { type: 'text', delta: text };
  }
}
