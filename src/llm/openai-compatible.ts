import OpenAI, { APIConnectionError, APIError } from 'openai';
import type {
  ChatCompletionChunk,
  ChatCompletionCreateParamsStreaming,
  ChatCompletionMessageParam,
  ChatCompletionTool,
  ChatCompletionToolChoiceOption,
} from 'openai/resources/chat/completions';
import { log } from '../log.js';
import { LlmError, type ChatEvent, type ChatMessage, type ChatModel, type ChatRequest, type FinishReason, type ToolSpec } from './types.js';
import { RequestGuard, transportError, estimatePromptTokens, estimateTokens, newToolCallId, retryAfterMs } from './util.js';

export interface OpenAICompatibleOptions {
  /** Base URL (`http://host:8000/v1`) or the full `.../v1/chat/completions` URL. */
  modelUrl: string;
  apiKey?: string;
  /** Longest silence from the backend (before the headers or between chunks). */
  requestTimeoutMs: number;
}

/** Accepts the full chat-completions URL (as the seed README documents) or a base URL. */
export function normaliseBaseUrl(modelUrl: string): string {
  const url = new URL(modelUrl);
  url.pathname = url.pathname.replace(/\/+$/, '').replace(/\/chat\/completions$/, '');
  // A bare host means the usual `/v1` mount (vLLM, llama.cpp, Ollama, FastChat all use it).
  if (url.pathname === '' || url.pathname === '/') url.pathname = '/v1';
  return url.toString().replace(/\/+$/, '');
}

/** Any OpenAI-compatible `/chat/completions` (vLLM, llama.cpp, Ollama, FastChat, OpenAI) with native tool calls. */
export class OpenAICompatibleModel implements ChatModel {
  readonly #client: OpenAI;
  readonly #timeoutMs: number;
  readonly #classify: (err: unknown) => LlmError;

  constructor(opts: OpenAICompatibleOptions) {
    this.#timeoutMs = opts.requestTimeoutMs;
    const baseURL = normaliseBaseUrl(opts.modelUrl);
    this.#classify = (err) => classify(err, baseURL);
    this.#client = new OpenAI({
      baseURL,
      // Explicit values so the SDK never forwards OPENAI_API_KEY / OPENAI_ORG_ID from our env to a third-party server.
      apiKey: opts.apiKey || 'none',
      organization: null,
      project: null,
      maxRetries: 0, // Temporal retries the activity
      timeout: opts.requestTimeoutMs,
      logger: log.child({ component: 'openai-sdk' }),
    });
  }

  async *stream(req: ChatRequest): AsyncGenerator<ChatEvent> {
    const guard = new RequestGuard(req.signal, this.#timeoutMs);
    const calls = new ToolCallAssembler();
    let finish: FinishReason | undefined;
    let usage: ChatCompletionChunk['usage'];
    let outputChars = 0;
    try {
      const stream = await this.#client.chat.completions.create(toParams(req), { signal: guard.signal });
      for await (const chunk of stream) {
        guard.touch();
        if (chunk.usage) usage = chunk.usage;
        const choice = chunk.choices?.[0];
        if (!choice) continue;
        const text = choice.delta?.content;
        if (text) {
          outputChars += text.length;
          yield { type: 'text', delta: text };
        }
        for (const event of calls.add(choice.delta?.tool_calls ?? [])) {
          outputChars += event.argumentsDelta?.length ?? 0;
          yield event;
        }
        if (choice.finish_reason) finish = mapFinish(choice.finish_reason);
      }
      // The SDK ends quietly when aborted, and so may a server that drops the connection.
      guard.check();
      if (!finish) throw new LlmError('model stream ended before a finish_reason', 'server_error', true);
      calls.assertComplete();
      yield {
        type: 'finish',
        // Some servers (older vLLM, Ollama) say `stop` after emitting tool calls.
        reason: finish === 'stop' && calls.count > 0 ? 'tool_calls' : finish,
        usage: usage
          ? { promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens }
          : { promptTokens: estimatePromptTokens(req), completionTokens: estimateTokens(outputChars) },
      };
    } catch (err) {
      guard.settle(err, this.#classify);
    } finally {
      guard.dispose();
    }
  }
}

function toParams(req: ChatRequest): ChatCompletionCreateParamsStreaming {
  const params: ChatCompletionCreateParamsStreaming = {
    model: req.model,
    messages: req.messages.map(toMessage),
    stream: true,
    stream_options: { include_usage: true },
  };
  if (req.tools.length) {
    params.tools = req.tools.map(toTool);
    params.tool_choice = toToolChoice(req.toolChoice);
    params.parallel_tool_calls = req.parallelToolCalls;
  }
  if (req.temperature != null) params.temperature = req.temperature;
  if (req.topP != null) params.top_p = req.topP;
  if (req.maxTokens != null) params.max_tokens = req.maxTokens;
  // OpenAI's own field, which vLLM and llama.cpp take for reasoning models; sent only when set.
  if (req.reasoningEffort != null) params.reasoning_effort = req.reasoningEffort;
  const format = req.responseFormat as ChatCompletionCreateParamsStreaming['response_format'] | 'auto' | undefined;
  // `auto` and `text` are the default; sending them only trips servers that lack response_format.
  if (format && format !== 'auto' && format.type !== 'text') params.response_format = format;
  return params;
}

function toMessage(m: ChatMessage): ChatCompletionMessageParam {
  switch (m.role) {
    case 'system':
    case 'user':
      return { role: m.role, content: m.content };
    case 'tool':
      return { role: 'tool', tool_call_id: m.toolCallId, content: m.content };
    case 'assistant':
      return m.toolCalls?.length
        ? {
            role: 'assistant',
            content: m.content,
            tool_calls: m.toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } })),
          }
        : { role: 'assistant', content: m.content ?? '' };
  }
}

function toTool(t: ToolSpec): ChatCompletionTool {
  return {
    type: 'function',
    function: {
      name: t.name,
      ...(t.description !== undefined && { description: t.description }),
      ...(t.parameters !== undefined && { parameters: t.parameters }),
      // Only when asked: some compatible servers reject the unknown field.
      ...(t.strict && { strict: true }),
    },
  };
}

function toToolChoice(choice: ChatRequest['toolChoice']): ChatCompletionToolChoiceOption {
  return typeof choice === 'string' ? choice : { type: 'function', function: { name: choice.name } };
}

function mapFinish(reason: ChatCompletionChunk.Choice['finish_reason'] & string): FinishReason {
  if (reason === 'tool_calls' || reason === 'function_call') return 'tool_calls';
  return reason === 'length' ? 'length' : 'stop';
}

type ToolCallEvent = Extract<ChatEvent, { type: 'tool_call' }>;

/**
 * Turns `tool_calls` deltas into events whose first one per index carries id and name. Servers
 * differ: some omit `index` or `id`, some send a whole call in one chunk; arguments that arrive
 * before the name are held back until it does.
 */
class ToolCallAssembler {
  readonly #calls = new Map<number, { started: boolean; id?: string; name?: string; pendingArgs: string }>();

  get count(): number {
    return this.#calls.size;
  }

  *add(deltas: ChatCompletionChunk.Choice.Delta.ToolCall[]): Generator<ToolCallEvent> {
    for (const [position, delta] of deltas.entries()) {
      const index = typeof delta.index === 'number' ? delta.index : position;
      let call = this.#calls.get(index);
      if (!call) this.#calls.set(index, (call = { started: false, pendingArgs: '' }));
      const args = delta.function?.arguments ?? '';
      if (call.started) {
        if (args) yield { type: 'tool_call', index, argumentsDelta: args };
        continue;
      }
      call.id ||= delta.id ?? undefined;
      call.name ||= delta.function?.name ?? undefined;
      call.pendingArgs += args;
      if (!call.name) continue;
      call.started = true;
      yield { type: 'tool_call', index, id: call.id || newToolCallId(), name: call.name, argumentsDelta: call.pendingArgs };
    }
  }

  assertComplete(): void {
    for (const call of this.#calls.values()) {
      if (!call.started) throw new LlmError('model sent a tool call without a function name', 'server_error', true);
    }
  }
}

function classify(err: unknown, url: string): LlmError {
  const target = { url, setting: 'MODEL_URL' };
  if (err instanceof APIConnectionError) return transportError(err, target);
  if (err instanceof APIError) {
    const body = err.error as { message?: unknown; code?: unknown } | undefined;
    const message = typeof body?.message === 'string' ? body.message : err.message;
    if (err.status !== undefined) return LlmError.fromStatus(err.status, message, retryAfterMs(err.headers));
    // An error payload inside the stream; vLLM puts the HTTP status in `code`.
    const status = Number(body?.code);
    return status >= 400 && status < 600
      ? LlmError.fromStatus(status, message)
      : new LlmError(`model stream failed: ${message}`, 'server_error', true);
  }
  return transportError(err, target);
}
