/** Picks the adapter for a model name: Anthropic for `claude-*`, else the OpenAI-compatible server in the chosen tool mode. */
import { log } from '../log.js';
import { AnthropicModel } from './anthropic.js';
import { BoundedModel } from './bounds.js';
import { localModelFor } from './local.js';
import { OpenAICompatibleModel } from './openai-compatible.js';
import { PromptedToolsModel } from './prompted-tools.js';
import { TextToolCallsModel } from './text-tool-calls.js';
import { LlmError, type ChatEvent, type ChatModel, type ChatRequest } from './types.js';

export * from './types.js';

export type ToolMode = 'native' | 'prompted';

export interface LlmConfig {
  /** OpenAI-compatible endpoint (base URL or full `.../v1/chat/completions`), or `local:[<file.gguf>]` in-process. */
  modelUrl: string;
  /** Sampling seed for in-process models. */
  seed?: number;
  modelApiKey?: string;
  /** `auto`: native tool calls until the server rejects them with a 4xx, then prompted for that model. */
  toolMode: ToolMode | 'auto';
  /** Per model name; a key without an organisation prefix also matches (`neural-chat-7b-v3-2` ↔ `Intel/neural-chat-7b-v3-2`). */
  toolModeOverrides: Record<string, ToolMode>;
  /** The server constrains output to a JSON schema (vLLM, llama.cpp, Ollama): used by prompted mode. */
  structuredOutputs: boolean;
  anthropicApiKey?: string;
  anthropicUrl: string;
  /** Longest the backend may stay silent (before replying or between chunks). */
  requestTimeoutMs: number;
  /** `max_tokens` for the OpenAI-compatible server when the run sets no cap. */
  modelMaxTokens: number;
  /** Longest one model call may take in all. */
  callTimeoutMs: number;
  /** How long the output may end in one repeated chunk before the call is stopped; 0: no limit. */
  maxRepeatChars: number;
}

/** `modelUrl model` pairs that turned out to lack native tools; in-process, re-learned after a restart. */
const learnedPrompted = new Set<string>();

/**
 * The backends of one configuration, built once: their HTTP clients keep connections alive
 * across model calls instead of opening new ones for each.
 */
const backends = new WeakMap<LlmConfig, { anthropic: ChatModel; native: ChatModel; prompted: ChatModel; local?: ChatModel }>();

function backendsFor(cfg: LlmConfig) {
  let b = backends.get(cfg);
  if (!b) {
    const bounds = { callTimeoutMs: cfg.callTimeoutMs, maxRepeatChars: cfg.maxRepeatChars };
    const server = new BoundedModel(
      new OpenAICompatibleModel({ modelUrl: cfg.modelUrl, apiKey: cfg.modelApiKey, requestTimeoutMs: cfg.requestTimeoutMs }),
      { ...bounds, maxTokens: cfg.modelMaxTokens },
    );
    const local = localModelFor(cfg.modelUrl, cfg.seed);
    b = {
      // In process (MODEL_URL=local:…), bounded like a server.
      local: local && new BoundedModel(local, { ...bounds, maxTokens: cfg.modelMaxTokens }),
      // Anthropic keeps its own `max_tokens` default (its API requires one).
      anthropic: new BoundedModel(new AnthropicModel({ apiKey: cfg.anthropicApiKey, url: cfg.anthropicUrl, requestTimeoutMs: cfg.requestTimeoutMs }), bounds),
      // Servers that take `tools` may still hand back a call the model wrote as text.
      native: new TextToolCallsModel(server),
      prompted: new PromptedToolsModel(server, { structuredOutputs: cfg.structuredOutputs }),
    };
    backends.set(cfg, b);
  }
  return b;
}

export function modelFor(model: string, cfg: LlmConfig): ChatModel {
  const { anthropic, native, prompted, local } = backendsFor(cfg);
  if (model.startsWith('claude-')) return anthropic;
  if (local) return local;
  const mode = cfg.toolModeOverrides[model] ?? cfg.toolModeOverrides[model.slice(model.lastIndexOf('/') + 1)] ?? cfg.toolMode;
  if (mode === 'native') return native;
  if (mode === 'prompted') return prompted;
  return new AutoToolMode(native, prompted, `${cfg.modelUrl} ${model}`);
}

class AutoToolMode implements ChatModel {
  constructor(
    private readonly native: ChatModel,
    private readonly prompted: ChatModel,
    private readonly key: string,
  ) {}

  async *stream(req: ChatRequest): AsyncGenerator<ChatEvent> {
    if (learnedPrompted.has(this.key)) return yield* this.prompted.stream(req);
    if (!usesTools(req)) return yield* this.native.stream(req);
    let started = false;
    try {
      for await (const event of this.native.stream(req)) {
        started = true;
        yield event;
      }
      return;
    } catch (err) {
      // A rejected request (not auth, not a missing model) that carried tools: assume they are the cause.
      if (started || !(err instanceof LlmError && err.code === 'invalid_prompt')) throw err;
      log.warn({ model: req.model, error: err.message }, 'native tool call request rejected; trying prompted tools');
    }
    yield* this.prompted.stream(req);
    // Remembered only once prompted mode got through, so an unrelated 400 (e.g. context too long) is not mistaken for it.
    learnedPrompted.add(this.key);
  }
}

function usesTools(req: ChatRequest): boolean {
  return req.tools.length > 0 || req.messages.some((m) => m.role === 'tool' || (m.role === 'assistant' && !!m.toolCalls?.length));
}
