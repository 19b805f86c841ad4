/** Anthropic's Messages API, streamed through the official SDK, behind the same ChatModel interface. */
import Anthropic, { APIConnectionError, APIError } from '@anthropic-ai/sdk';
import type {
  ContentBlockParam,
  MessageCreateParamsStreaming,
  MessageParam,
  RawMessageStreamEvent,
  StopReason,
  Tool,
  ToolChoice,
} from '@anthropic-ai/sdk/resources/messages';
import { log } from '../log.js';
import { thinkingFor } from './anthropic-thinking.js';
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

export class AnthropicModel implements ChatModel {
  /** Absent without a key: the SDK would otherwise look for credentials in our environment and on disk. */
  readonly #client: Anthropic | undefined;
  readonly #timeoutMs: number;

  constructor(opts: AnthropicOptions) {
    this.#timeoutMs = opts.requestTimeoutMs;
    this.#client = opts.apiKey
      ? new Anthropic({
          apiKey: opts.apiKey,
          // The SDK appends `/v1/messages` itself.
          baseURL: opts.url.replace(/\/+$/, '').replace(/\/v1(\/messages)?$/, ''),
          maxRetries: 0, // Temporal retries the activity
          timeout: opts.requestTimeoutMs,
          logger: log.child({ component: 'anthropic-sdk' }),
        })
      : undefined;
  }

  async *stream(req: ChatRequest): AsyncGenerator<ChatEvent> {
    if (!this.#client) throw new LlmError(`no Anthropic API key configured for model ${req.model}`, 'server_error', false);
    const guard = new RequestGuard(req.signal, this.#timeoutMs);
    try {
      const events = await this.#client.messages.create(toParams(req), { signal: guard.signal });
      guard.touch();
      yield* readStream(events, guard);
    } catch (err) {
      guard.settle(err, classify);
    } finally {
      guard.dispose();
    }
  }
}

async function* readStream(events: AsyncIterable<RawMessageStreamEvent>, guard: RequestGuard): AsyncGenerator<ChatEvent> {
  const toolIndexByBlock = new Map<number, number>();
  const toolsWithArgs = new Set<number>();
  let promptTokens = 0;
  let completionTokens = 0;
  let reason: FinishReason = 'stop';
  for await (const e of events) {
    guard.touch();
    switch (e.type) {
      case 'message_start': {
        const u = e.message.usage;
        // Cached prompt tokens are reported apart from input_tokens; all of them are prompt.
        promptTokens = u.input_tokens + (u.cache_creation_input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0);
        completionTokens = u.output_tokens;
        break;
      }
      case 'content_block_start': {
        const block = e.content_block;
        if (block.type === 'text' && block.text) yield { type: 'text', delta: block.text };
        if (block.type === 'tool_use') {
          const index = toolIndexByBlock.size;
          toolIndexByBlock.set(e.index, index);
          yield { type: 'tool_call', index, id: block.id, name: block.name };
        }
        break;
      }
      case 'content_block_delta': {
        if (e.delta.type === 'text_delta' && e.delta.text) yield { type: 'text', delta: e.delta.text };
        const index = toolIndexByBlock.get(e.index);
        if (e.delta.type === 'input_json_delta' && e.delta.partial_json && index !== undefined) {
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
        if (e.delta.stop_reason) reason = mapStopReason(e.delta.stop_reason);
        completionTokens = e.usage.output_tokens;
        break;
      case 'message_stop':
        yield { type: 'finish', reason, usage: { promptTokens, completionTokens } };
        return;
    }
  }
  // The SDK ends quietly when aborted, and so may a socket that closed early: either way the answer is incomplete.
  guard.check();
  throw new LlmError('Anthropic stream ended before message_stop', 'server_error', true);
}

/** The SDK's types no longer declare the sampling fields; they are sent as before, for the models that take them. */
type Params = MessageCreateParamsStreaming & { temperature?: number; top_p?: number };

function toParams(req: ChatRequest): Params {
  const system = req.messages.flatMap((m) => (m.role === 'system' ? [m.content] : [])).join('\n\n');
  const thinking = thinkingFor(req);
  const params: Params = {
    model: req.model,
    max_tokens: (req.maxTokens ?? DEFAULT_MAX_TOKENS) + (thinking?.budget_tokens ?? 0),
    stream: true,
    messages: toMessages(req.messages),
  };
  if (thinking) params.thinking = thinking;
  if (system) params.system = system;
  if (req.tools.length) {
    params.tools = req.tools.map((t) => ({
      name: t.name,
      ...(t.description !== undefined && { description: t.description }),
      input_schema: (t.parameters as Tool.InputSchema | undefined) ?? { type: 'object', properties: {} },
    }));
    params.tool_choice = toToolChoice(req);
  }
  // Anthropic's temperature range is 0–1 (OpenAI's 0–2), and recent models refuse temperature
  // and top_p together, so temperature wins. Thinking takes neither.
  if (thinking) return params;
  if (req.temperature != null) params.temperature = Math.min(req.temperature, 1);
  else if (req.topP != null) params.top_p = req.topP;
  return params;
}

function toToolChoice(req: ChatRequest): ToolChoice {
  const { toolChoice: choice } = req;
  if (choice === 'none') return { type: 'none' };
  const parallel = { disable_parallel_tool_use: !req.parallelToolCalls };
  if (choice === 'auto') return { type: 'auto', ...parallel };
  if (choice === 'required') return { type: 'any', ...parallel };
  return { type: 'tool', name: choice.name, ...parallel };
}

/** Tool calls become `tool_use` blocks; tool results `tool_result` blocks in the user turn that follows, merged. */
function toMessages(messages: ChatMessage[]): MessageParam[] {
  const out: (MessageParam & { content: ContentBlockParam[] })[] = [];
  for (const m of messages) {
    let next: (typeof out)[number];
    if (m.role === 'assistant') {
      const content: ContentBlockParam[] = m.content ? [{ type: 'text', text: m.content }] : [];
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
function toolInput(args: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(args);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function mapStopReason(reason: StopReason): FinishReason {
  if (reason === 'tool_use') return 'tool_calls';
  return reason === 'max_tokens' ? 'length' : 'stop';
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

function classify(err: unknown): LlmError {
  if (!(err instanceof APIError) || err instanceof APIConnectionError) return transportError(err);
  const message = err.apiMessage ?? err.message;
  if (err.status !== undefined) return LlmError.fromStatus(err.status, message, retryAfterMs(err.headers));
  return LlmError.fromStatus(STATUS_BY_TYPE[err.type ?? ''] ?? 500, `${err.type ?? 'error'}: ${message}`);
}
