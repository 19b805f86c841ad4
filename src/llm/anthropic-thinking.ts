import type { ThinkingConfigEnabled } from '@anthropic-ai/sdk/resources/messages';
import { log } from '../log.js';
import type { ChatRequest, ReasoningEffort } from './types.js';

/**
 * `reasoning_effort` as Anthropic's extended thinking: a token budget per effort (1024 is
 * Anthropic's minimum), added on top of the answer's own `max_tokens`, which counts thinking.
 */
const BUDGET: Record<NonNullable<ReasoningEffort>, number> = {
  none: 0,
  minimal: 1024,
  low: 2048,
  medium: 8192,
  high: 16_384,
  xhigh: 24_576,
  max: 32_000,
};

/** Claude models before 3.7 have no extended thinking. */
const NO_THINKING = /^claude-(instant|2|3-(?!7))/;

/**
 * The `thinking` parameter for this request, or undefined. It is left out, with a log line,
 * where Anthropic would refuse it: older models, a forced tool choice, and a turn that
 * continues a tool call (Anthropic then wants the earlier turn's thinking back, which runs
 * do not keep).
 */
export function thinkingFor(req: ChatRequest): ThinkingConfigEnabled | undefined {
  const effort = req.reasoningEffort;
  if (!effort || BUDGET[effort] === 0) return undefined;
  const why = NO_THINKING.test(req.model)
    ? 'the model has no extended thinking'
    : req.toolChoice !== 'auto' && req.toolChoice !== 'none'
      ? 'a forced tool choice excludes thinking'
      : req.messages.at(-1)?.role === 'tool'
        ? 'the turn continues a tool call'
        : undefined;
  if (why) {
    log.info({ model: req.model, reasoning_effort: effort }, `reasoning_effort ignored: ${why}`);
    return undefined;
  }
  return { type: 'enabled', budget_tokens: BUDGET[effort] };
}
