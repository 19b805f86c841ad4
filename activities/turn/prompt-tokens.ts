import { countTokens } from 'gpt-tokenizer';
import type { ChatMessage, ToolSpec } from '../../src/llm/index.js';

/**
 * Prompt tokens as `max_prompt_tokens` counts them, with `gpt-tokenizer`'s o200k_base (the
 * encoding of OpenAI's current models): pure JavaScript and synchronous, so counting a prompt
 * costs no I/O before the model call, unlike a WASM or server-side tokenizer. An open model's
 * own tokenizer differs by some percent; the cap is OpenAI's, so it is counted in OpenAI's terms.
 */

/** Text such as `<|endoftext|>` in a message is counted as the text it is, never refused. */
const PLAIN = { disallowedSpecial: new Set<string>() };
/** OpenAI's chat format wraps each message in a few tokens of role and delimiters. */
const PER_MESSAGE = 4;
/** …and primes the reply with a few more. */
const PER_PROMPT = 3;

const count = (text: string) => countTokens(text, PLAIN);

export function messageTokens(m: ChatMessage): number {
  const calls = m.role === 'assistant' ? (m.toolCalls ?? []).reduce((n, c) => n + count(c.name) + count(c.arguments), 0) : 0;
  return PER_MESSAGE + count(m.content ?? '') + calls;
}

/** What a prompt costs besides its messages: the tools offered, as their JSON. */
export const fixedTokens = (tools: ToolSpec[]): number => PER_PROMPT + (tools.length ? count(JSON.stringify(tools)) : 0);
