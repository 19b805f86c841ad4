/** Anthropic Messages API (`POST /v1/messages`, streamed) behind the same ChatModel interface. */
import { sseEvents } from './sse.js';
import { LlmError, type ChatEvent, type ChatMessage, type ChatModel, type ChatRequest, type FinishReason } from './types.js';
import { RequestGuard, transportError, retryAfterMs } from './util.js';

export interface AnthropicOptions {
  apiKey?: string;
  /** API origin, e.g. `https://api.anthropic.com` (a trailing `/v1` is tolerated). */
  url: string;
  requestTimeoutMs: number;
}

/** Anthropic requires `max_tokens`; this applies when the run sets no cap. */
const DEFAULT_MAX_TOKENS = 4096;

type ContentBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: unknown }
  | { type: 'tool_result'; tool_use_id: string; content: string };

interface AnthropicMessage {
  role: 'user' | 'assistant';
  content: ContentBlock[];
}

export class AnthropicModel implements ChatModel {
  readonly #opts: AnthropicOptions;
  readonly #endpoint: string;

  constructor(opts: AnthropicOptions) {
    this.#opts = opts;
    this.#endpoint = `${opts.url.replace(/\/+$/, '').replace(/\/v1(\/messages)?$/, '')}/v1/messages`;
  }

  async *stream(req: ChatRequest): AsyncGenerator<ChatEvent> {
    if (!this.#opts.apiKey) throw new LlmError(`no Anthropic API key configured for model ${req.model}`, 'server_error', false);
    const guard = new RequestGuard(req.signal, this.#opts.requestTimeoutMs);
    try {
      const res = await fetch(this.#endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': this.#opts.apiKey, 'anthropic-version': '2023-06-01' },
        body: JSON.stringify(toBody(req)),
        signal: guard.signal,
      });
      guard.touch();
      if (!res.ok || !res.body) throw await httpError(res);
      yield* readStream(res.body, guard);
    } catch (err) {
      guard.settle(err, transportError);
    } finally {
      guard.dispose();
    }
  }
}

async function* readStream(body: ReadableStream<Uint8Array>, guard: RequestGuard): AsyncGenerator<ChatEvent> {
  const toolIndexByBlock = new Map<number, number>();
  const toolsWithArgs = new Set<number>();
  let promptTokens = 0;
  let completionTokens = 0;
  let reason: FinishReason = 'stop';
  for await (const sse of sseEvents(body)) {
    guard.touch();
    const e = JSON.parse(sse.data);
    switch (e.type) {
      case 'message_start': {
        const u = e.message?.usage ?? {};
        // Cached prompt tokens are reported apart from input_tokens; all of them are prompt.
        promptTokens = (u.input_tokens ?? 0) + (u.cache_creation_input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0);
        completionTokens = u.output_tokens ?? 0;
        break;
      }
      case 'content_block_start': {
        const block = e.content_block;
        if (block?.type === 'text' && block.text) yield { type: 'text', delta: block.text };
        if (block?.type === 'tool_use') {
          const index = toolIndexByBlock.size;
          toolIndexByBlock.set(e.index, index);
          yield { type: 'tool_call', index, id: block.id, name: block.name };
        }
        break;
      }
      case 'content_block_delta': {
        if (e.delta?.type === 'text_delta' && e.delta.text) yield { type: 'text', delta: e.delta.text };
        const index = toolIndexByBlock.get(e.index);
        if (e.delta?.type === 'input_json_delta' && e.delta.partial_json && index !== undefined) {
          toolsWithArgs.add(index);
          yield { type: 'tool_call', index, argumentsDelta: e.delta.partial_json };
        }
        break;
      }
      case 'content_block_stop': {
        // A call without parameters streams no input at all; OpenAI clients expect "{}".
        const index = toolIndexByBlock.get(e.index);
        if (index !== undefined && !toolsWithArgs.has(index)) yield { type: 'tool_call', index, argumentsDelta: '{}' };
        break;
      }
      case 'message_delta':
        if (e.delta?.stop_reason) reason = mapStopReason(e.delta.stop_reason);
        if (typeof e.usage?.output_tokens === 'number') completionTokens = e.usage.output_tokens;
        break;
      case 'message_stop':
        yield { type: 'finish', reason, usage: { promptTokens, completionTokens } };
        return;
      case 'error':
        throw errorFromType(e.error?.type, e.error?.message ?? 'stream error');
    }
  }
  // The socket closed without message_stop: the answer is incomplete.
  guard.check();
  throw new LlmError('Anthropic stream ended before message_stop', 'server_error', true);
}

function toBody(req: ChatRequest): Record<string, unknown> {
  const system = req.messages.flatMap((m) => (m.role === 'system' ? [m.content] : [])).join('\n\n');
  const body: Record<string, unknown> = {
    model: req.model,
    max_tokens: req.maxTokens ?? DEFAULT_MAX_TOKENS,
    stream: true,
    messages: toMessages(req.messages),
  };
  if (system) body.system = system;
  if (req.tools.length) {
    body.tools = req.tools.map((t) => ({
      name: t.name,
      ...(t.description !== undefined && { description: t.description }),
      input_schema: t.parameters ?? { type: 'object', properties: {} },
    }));
    body.tool_choice = toToolChoice(req);
  }
  // Anthropic's temperature range is 0–1 (OpenAI's 0–2), and recent models refuse temperature
  // and top_p together, so temperature wins.
  if (req.temperature != null) body.temperature = Math.min(req.temperature, 1);
  else if (req.topP != null) body.top_p = req.topP;
  return body;
}

function toToolChoice(req: ChatRequest): Record<string, unknown> {
  const { toolChoice: choice } = req;
  if (choice === 'none') return { type: 'none' };
  const parallel = { disable_parallel_tool_use: !req.parallelToolCalls };
  if (choice === 'auto') return { type: 'auto', ...parallel };
  if (choice === 'required') return { type: 'any', ...parallel };
  return { type: 'tool', name: choice.name, ...parallel };
}

/** Tool calls become `tool_use` blocks; tool results `tool_result` blocks in the user turn that follows, merged. */
export function toMessages(messages: ChatMessage[]): AnthropicMessage[] {
  const out: AnthropicMessage[] = [];
  for (const m of messages) {
    let next: AnthropicMessage;
    if (m.role === 'assistant') {
      const content: ContentBlock[] = m.content ? [{ type: 'text', text: m.content }] : [];
      for (const c of m.toolCalls ?? []) content.push({ type: 'tool_use', id: c.id, name: c.name, input: toolInput(c.arguments) });
      if (!content.length) continue; // Anthropic rejects empty turns
      next = { role: 'assistant', content };
    } else if (m.role === 'tool') {
      next = { role: 'user', content: [{ type: 'tool_result', tool_use_id: m.toolCallId, content: m.content }] };
    } else if (m.role === 'user') {
      next = { role: 'user', content: [{ type: 'text', text: m.content }] };
    } else continue; // system messages go to the `system` field
    const last = out.at(-1);
    if (last?.role === next.role) last.content.push(...next.content);
    else out.push(next);
  }
  return out;
}

/** `tool_use.input` must be an object; a model's malformed arguments cannot be replayed verbatim. */
function toolInput(args: string): unknown {
  try {
    const value: unknown = JSON.parse(args);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {};
  } catch {
    return {};
  }
}

function mapStopReason(reason: string): FinishReason {
  if (reason === 'tool_use') return 'tool_calls';
  return reason === 'max_tokens' ? 'length' : 'stop';
}

async function httpError(res: Response): Promise<LlmError> {
  const text = await res.text().catch(() => '');
  let message = text || res.statusText;
  try {
    message = JSON.parse(text).error?.message ?? message;
  } catch {
    // not JSON: keep the raw text
  }
  return LlmError.fromStatus(res.status, message, retryAfterMs(res.headers));
}

/** Errors sent inside an already-started stream name a type, not a status. */
const STATUS_BY_TYPE: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  overloaded_error: 529,
};

function errorFromType(type: string | undefined, message: string): LlmError {
  return LlmError.fromStatus(STATUS_BY_TYPE[type ?? ''] ?? 500, `${type ?? 'error'}: ${message}`);
}
