/** The one interface every model backend implements; activities depend only on this file. */
import type { ReasoningEffort } from 'openai/resources/shared';

export type { ReasoningEffort };

export type ChatMessage =
  | { role: 'system' | 'user'; content: string }
  | { role: 'assistant'; content: string | null; toolCalls?: ToolCall[] }
  | { role: 'tool'; toolCallId: string; content: string };

export interface ToolCall {
  id: string;
  name: string;
  /** JSON text, as the model produced it. */
  arguments: string;
}

export interface ToolSpec {
  name: string;
  description?: string;
  /** JSON Schema of the arguments object. */
  parameters?: Record<string, unknown>;
  strict?: boolean;
}

export type ToolChoice = 'auto' | 'none' | 'required' | { name: string };

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  tools: ToolSpec[];
  toolChoice: ToolChoice;
  parallelToolCalls: boolean;
  temperature?: number | null;
  topP?: number | null;
  maxTokens?: number | null;
  /** The Assistants `response_format`: `'auto'` or `{ type: 'text' | 'json_object' | 'json_schema', ... }`. */
  responseFormat?: unknown;
  /**
   * The run's `reasoning_effort` (the `openai` package's values). A backend that has no such
   * control, or a model that cannot take it, logs that it ignored it.
   */
  reasoningEffort?: ReasoningEffort | null;
  /** Aborting it cancels the HTTP request; the stream then throws `signal.reason`. */
  signal?: AbortSignal;
}

export type FinishReason = 'stop' | 'tool_calls' | 'length';

export interface Usage {
  promptTokens: number;
  completionTokens: number;
}

export type ChatEvent =
  | { type: 'text'; delta: string }
  /** The first event of an index carries `id` and `name`; later ones only `argumentsDelta`. */
  | { type: 'tool_call'; index: number; id?: string; name?: string; argumentsDelta?: string }
  /** Always the last event of a successful stream. */
  | { type: 'finish'; reason: FinishReason; usage: Usage };

export interface ChatModel {
  /**
   * Streams one completion. Throws `LlmError` for backend failures (also mid-stream) and the
   * signal's abort reason when `req.signal` aborts.
   */
  stream(req: ChatRequest): AsyncIterable<ChatEvent>;
}

/** Codes are the run `last_error.code` values the Assistants API defines. */
export type LlmErrorCode = 'server_error' | 'rate_limit_exceeded' | 'invalid_prompt';

export class LlmError extends Error {
  override name = 'LlmError';

  constructor(
    message: string,
    readonly code: LlmErrorCode,
    readonly retryable: boolean,
    readonly status?: number,
    /** The backend's `retry-after`, for the caller's next retry delay. */
    readonly retryAfterMs?: number,
    /** Nothing answered at the model server's address (refused, no such host): a setting to fix, not a hiccup. */
    readonly unreachable = false,
  ) {
    super(message);
  }

  /**
   * Classifies an HTTP failure the way the OpenAI SDKs decide retries (408, 409, 429, 5xx), but
   * tells apart our own misconfiguration (401/403/404: not the prompt's fault) from a rejected prompt.
   */
  static fromStatus(status: number, message: string, retryAfterMs?: number): LlmError {
    const text = `model backend returned ${status}: ${message}`;
    if (status === 429) return new LlmError(text, 'rate_limit_exceeded', true, status, retryAfterMs);
    if (status >= 500 || status === 408 || status === 409) {
      return new LlmError(text, 'server_error', true, status, retryAfterMs);
    }
    if (status === 401 || status === 403 || status === 404) return new LlmError(text, 'server_error', false, status);
    return new LlmError(text, 'invalid_prompt', false, status);
  }
}
