/**
 * Tool calling for models without native support (e.g. FastChat serving neural-chat-7b): the
 * tools are described in the system prompt and the model must answer with one JSON object,
 *   {"type":"text","text":"..."}  or  {"type":"tool_calls","tool_calls":[{"name":"...","arguments":{...}}]}
 * Where the server takes structured outputs the reply is constrained to exactly that schema;
 * otherwise it is parsed leniently and a bad reply gets one corrective retry (unless part of it
 * was streamed already). A text answer streams as it is generated; tool calls go out once whole.
 */
import { parse as parsePartialJson } from 'partial-json';
import { log } from '../log.js';
import { balancedEnd, firstJsonValue, isObject, parseOr } from './lenient-json.js';
import { checkCall, offeredTools } from './tool-arguments.js';
import { LlmError, type ChatEvent, type ChatMessage, type ChatModel, type ChatRequest, type FinishReason, type ToolSpec, type Usage } from './types.js';
import { newToolCallId } from './util.js';

export interface PromptedToolsOptions {
  /** The server honours `response_format: {type: 'json_schema'}` (vLLM, llama.cpp, Ollama). */
  structuredOutputs: boolean;
}

type TextMessage = { role: 'system' | 'user' | 'assistant'; content: string };

type Reply = { type: 'text'; text: string } | { type: 'tool_calls'; calls: { name: string; arguments: string }[] };

/** Wraps a plain chat model (called without `tools`) to emulate tool calls. */
export class PromptedToolsModel implements ChatModel {
  readonly #inner: ChatModel;
  readonly #structuredOutputs: boolean;

  constructor(inner: ChatModel, opts: PromptedToolsOptions) {
    this.#inner = inner;
    this.#structuredOutputs = opts.structuredOutputs;
  }

  async *stream(req: ChatRequest): AsyncGenerator<ChatEvent> {
    const messages = renderHistory(req.messages);
    const tools = offeredTools(req);
    if (!tools.length) {
      // Nothing to call: a plain, truly streamed completion.
      yield* this.#inner.stream({ ...req, messages, tools: [] });
      return;
    }
    const allowText = req.toolChoice === 'auto';
    const responseFormat = this.#structuredOutputs
      ? { type: 'json_schema', json_schema: { name: 'assistant_reply', schema: replySchema(tools, allowText, req.parallelToolCalls), strict: true } }
      : undefined;
    let conversation = withSystemPrompt(messages, toolPrompt(tools, req));
    const usage: Usage = { promptTokens: 0, completionTokens: 0 };

    for (let attempt = 1; ; attempt++) {
      const answer = new StreamedAnswer();
      let text = '';
      let reason: FinishReason | undefined;
      for await (const event of this.#inner.stream({ ...req, messages: conversation, tools: [], toolChoice: 'none', responseFormat })) {
        if (event.type === 'text') {
          text += event.delta;
          const delta = allowText ? answer.advance(text) : '';
          if (delta) yield { type: 'text', delta };
        } else if (event.type === 'finish') {
          usage.promptTokens += event.usage.promptTokens;
          usage.completionTokens += event.usage.completionTokens;
          reason = event.reason;
        }
      }
      if (!reason) throw new LlmError('model stream ended without finishing', 'server_error', true);
      let reply: Reply;
      try {
        reply = parseReply(text, tools, { allowText, parallel: req.parallelToolCalls });
      } catch (err) {
        if (!(err instanceof ReplyFormatError)) throw err;
        // What the client was shown is the answer now; a retry could not take it back.
        if (answer.text) reply = { type: 'text', text: answer.text };
        // A cut-off reply would be cut off again: hand back what there is, the caller sees `length`.
        else if (reason === 'length') reply = { type: 'text', text };
        else if (attempt === 1) {
          log.warn({ model: req.model, error: err.message }, 'prompted tool reply unusable, retrying once');
          conversation = [...conversation, { role: 'assistant', content: text }, { role: 'user', content: correction(err.message) }];
          continue;
        } else if (allowText && looksLikeProse(text)) reply = { type: 'text', text };
        else throw new LlmError(`model reply is not in the tool-calling format: ${err.message}`, 'server_error', false);
      }
      yield* emit(reply, reason, usage, answer.text);
      return;
    }
  }
}

/**
 * The `text` field of a `{"type":"text","text":"..."}` reply as far as it has been generated.
 * partial-json parses a JSON prefix into the value so far, partial strings included (what
 * streaming needs), has no dependencies, and is what the OpenAI and Anthropic SDKs have used
 * for the same job; re-parsing the prefix per delta is cheap at reply sizes capped by max_tokens.
 */
class StreamedAnswer {
  /** What has been streamed so far. */
  text = '';

  /** The new part of the answer, given the whole reply so far ('' while none is known). */
  advance(reply: string): string {
    const start = reply.indexOf('{');
    if (start === -1) return '';
    const end = balancedEnd(reply, start);
    let value: unknown;
    try {
      value = parsePartialJson(reply.slice(start, end === -1 ? undefined : end));
    } catch {
      return '';
    }
    // `type` comes first in the prompt and the schema, so once `text` is there, `type` is whole.
    if (!isObject(value) || value.type !== 'text' || typeof value.text !== 'string' || !value.text.startsWith(this.text)) return '';
    const delta = value.text.slice(this.text.length);
    this.text = value.text;
    return delta;
  }
}

/** The reply as events, less the part of its text already streamed. */
function* emit(reply: Reply, reason: FinishReason, usage: Usage, streamed: string): Generator<ChatEvent> {
  if (reply.type === 'text') {
    const rest = reply.text.startsWith(streamed) ? reply.text.slice(streamed.length) : '';
    if (rest) yield { type: 'text', delta: rest };
    yield { type: 'finish', reason: reason === 'length' ? 'length' : 'stop', usage };
    return;
  }
  for (const [index, call] of reply.calls.entries()) {
    yield { type: 'tool_call', index, id: newToolCallId(), name: call.name, argumentsDelta: call.arguments };
  }
  yield { type: 'finish', reason: 'tool_calls', usage };
}

/**
 * Tool calls and results become ordinary assistant/user text, and same-role neighbours are
 * merged: many chat templates (Llama 2, Mistral) reject roles that do not alternate.
 */
export function renderHistory(messages: ChatMessage[]): TextMessage[] {
  const names = new Map<string, string>();
  const out: TextMessage[] = [];
  for (const m of messages) {
    let rendered: TextMessage;
    if (m.role === 'tool') {
      const name = names.get(m.toolCallId);
      rendered = { role: 'user', content: `Result of tool call ${m.toolCallId}${name ? ` (${name})` : ''}:\n${m.content}` };
    } else if (m.role === 'assistant' && m.toolCalls?.length) {
      for (const c of m.toolCalls) names.set(c.id, c.name);
      const calls = JSON.stringify({ type: 'tool_calls', tool_calls: m.toolCalls.map((c) => ({ name: c.name, arguments: parseOr(c.arguments) })) });
      rendered = { role: 'assistant', content: m.content ? `${m.content}\n${calls}` : calls };
    } else {
      rendered = { role: m.role, content: m.content ?? '' };
    }
    const last = out.at(-1);
    if (last?.role === rendered.role) last.content += `\n\n${rendered.content}`;
    else out.push(rendered);
  }
  return out;
}

function withSystemPrompt(messages: TextMessage[], prompt: string): ChatMessage[] {
  const [first, ...rest] = messages;
  // One system message: some templates accept no second one.
  return first?.role === 'system'
    ? [{ role: 'system', content: `${first.content}\n\n${prompt}` }, ...rest]
    : [{ role: 'system', content: prompt }, ...messages];
}

function toolPrompt(tools: ToolSpec[], req: ChatRequest): string {
  const lines = ['You can call these tools:'];
  for (const t of tools) {
    lines.push(`- ${t.name}${t.description ? `: ${t.description}` : ''}`, `  arguments JSON schema: ${JSON.stringify(t.parameters ?? { type: 'object' })}`);
  }
  lines.push(
    '',
    'Reply with exactly one JSON object and nothing else, in one of these forms:',
    ...(req.toolChoice === 'auto' ? ['{"type":"text","text":"<your answer to the user>"}'] : []),
    '{"type":"tool_calls","tool_calls":[{"name":"<tool name>","arguments":{<arguments matching the tool\'s schema>}}]}',
    req.toolChoice === 'auto'
      ? 'Call a tool when you need what it provides; once you have the tool results you need, answer with text.'
      : `You must call ${typeof req.toolChoice === 'object' ? `the tool "${req.toolChoice.name}"` : 'a tool'} now.`,
    req.parallelToolCalls ? 'You may list several independent calls at once.' : 'List exactly one call.',
  );
  const format = req.responseFormat as { type?: string; json_schema?: { schema?: unknown } } | undefined;
  if (format?.type === 'json_object') lines.push('The "text" value must itself be a valid JSON document.');
  if (format?.type === 'json_schema') {
    lines.push(`The "text" value must itself be JSON matching this schema: ${JSON.stringify(format.json_schema?.schema ?? {})}`);
  }
  return lines.join('\n');
}

/** The reply as a JSON schema, each tool's own argument schema included, for constrained decoding. */
export function replySchema(tools: ToolSpec[], allowText: boolean, parallel: boolean): Record<string, unknown> {
  const call = {
    anyOf: tools.map((t) => ({
      type: 'object',
      properties: { name: { type: 'string', enum: [t.name] }, arguments: t.parameters ?? { type: 'object' } },
      required: ['name', 'arguments'],
      additionalProperties: false,
    })),
  };
  const toolCalls = {
    type: 'object',
    properties: {
      type: { type: 'string', enum: ['tool_calls'] },
      tool_calls: { type: 'array', items: call, minItems: 1, ...(!parallel && { maxItems: 1 }) },
    },
    required: ['type', 'tool_calls'],
    additionalProperties: false,
  };
  if (!allowText) return toolCalls;
  const text = {
    type: 'object',
    properties: { type: { type: 'string', enum: ['text'] }, text: { type: 'string' } },
    required: ['type', 'text'],
    additionalProperties: false,
  };
  return { anyOf: [text, toolCalls] };
}

class ReplyFormatError extends Error {}

/** Lenient: surrounding prose and code fences are skipped, `arguments` may be an object or JSON text. */
export function parseReply(raw: string, tools: ToolSpec[], opts: { allowText: boolean; parallel: boolean }): Reply {
  const value = firstJsonValue(raw);
  if (!isObject(value)) throw new ReplyFormatError('the reply contains no JSON object');
  const rawCalls = Array.isArray(value.tool_calls) ? value.tool_calls : typeof value.name === 'string' ? [value] : undefined;
  if (value.type === 'text' || (value.type === undefined && typeof value.text === 'string' && !rawCalls)) {
    if (typeof value.text !== 'string') throw new ReplyFormatError('"text" must be a string');
    if (!opts.allowText) throw new ReplyFormatError('a tool call is required here, not text');
    return { type: 'text', text: value.text };
  }
  if (!rawCalls?.length) throw new ReplyFormatError('expected {"type":"text",...} or {"type":"tool_calls","tool_calls":[...]} with at least one call');
  const calls = rawCalls.map((c: unknown, i: number) => {
    const call = checkCall(c, tools);
    if ('problem' in call) throw new ReplyFormatError(`tool_calls[${i}]: ${call.problem}`);
    return call;
  });
  // Without parallel calls only the first is honoured rather than failing the whole reply.
  return { type: 'tool_calls', calls: opts.parallel ? calls : calls.slice(0, 1) };
}

function correction(error: string): string {
  return `Your last reply could not be used: ${error}. Reply again with exactly one JSON object in the required format and nothing else.`;
}

function looksLikeProse(text: string): boolean {
  return text.trim() !== '' && firstJsonValue(text) === undefined && !/^\s*[[{`]/.test(text);
}
