/** Picks the adapter for a model name: Anthropic for `claude-*`, else the OpenAI-compatible server in the chosen tool mode. */
import { log } from '../log.js';
import { AnthropicModel } from './anthropic.js';
import { localModelFor } from './local.js';
import { OpenAICompatibleModel } from './openai-compatible.js';
import { PromptedToolsModel } from './prompted-tools.js';
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
}

/** `modelUrl model` pairs that turned out to lack native tools; in-process, re-learned after a restart. */
const learnedPrompted = new Set<string>();

/**
 * The backends of one configuration, built once: their HTTP clients keep connections alive
 * across model calls instead of opening new ones for each.
 */
const backends = new WeakMap<LlmConfig, { anthropic: ChatModel; native: ChatModel; prompted: ChatModel }>();

function backendsFor(cfg: LlmConfig) {
  let b = backends.get(cfg);
  if (!b) {
    const native = new OpenAICompatibleModel({ modelUrl: cfg.modelUrl, apiKey: cfg.modelApiKey, requestTimeoutMs: cfg.requestTimeoutMs });
    b = {
      anthropic: new AnthropicModel({ apiKey: cfg.anthropicApiKey, url: cfg.anthropicUrl, requestTimeoutMs: cfg.requestTimeoutMs }),
      native,
      prompted: new PromptedToolsModel(native, { structuredOutputs: cfg.structuredOutputs }),
    };
    backends.set(cfg, b);
  }
  return b;
}

export function modelFor(model: string, cfg: LlmConfig): ChatModel {
  const { anthropic, native, prompted } = backendsFor(cfg);
  if (model.startsWith('claude-')) return anthropic;
  const local = localModelFor(cfg.modelUrl, cfg.seed);
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
