import { decode, encode } from 'gpt-tokenizer';
import type { FileChunkingStrategyParam, StaticFileChunkingStrategyObject } from 'openai/resources/vector-stores/vector-stores';

/**
 * How a file's text becomes chunks: windows of a fixed number of tokens, each starting
 * `max - overlap` tokens after the one before, counted with `gpt-tokenizer`'s o200k_base (the
 * encoding OpenAI's chunk sizes are given in).
 */

/** What `auto` means, as OpenAI documents it; stored and echoed in this static form. */
export const AUTO_CHUNKING: StaticFileChunkingStrategyObject = { type: 'static', static: { max_chunk_size_tokens: 800, chunk_overlap_tokens: 400 } };

/** A request's strategy (none means auto) as it is stored and shown. */
export function chunkingOf(strategy: FileChunkingStrategyParam | undefined): StaticFileChunkingStrategyObject {
  return strategy?.type === 'static' ? { type: 'static', static: { ...strategy.static } } : AUTO_CHUNKING;
}

export interface TextChunk {
  text: string;
  tokens: number;
}

/** Text such as `<|endoftext|>` in a file is indexed as the text it is, never refused. */
const PLAIN = { disallowedSpecial: new Set<string>() };

/**
 * The chunks of `text`, and how many tokens it has. A window's edges may cut a character that
 * spans tokens; the decoder shows such a piece as U+FFFD, which is dropped (the neighbouring
 * chunk has it whole).
 */
export function chunkText(text: string, { static: s }: StaticFileChunkingStrategyObject): { chunks: TextChunk[]; tokens: number } {
  const tokens = encode(text, PLAIN);
  const stride = s.max_chunk_size_tokens - s.chunk_overlap_tokens;
  const chunks: TextChunk[] = [];
  for (let from = 0; from < tokens.length; from += stride) {
    const window = tokens.slice(from, from + s.max_chunk_size_tokens);
    chunks.push({ text: decode(window).replace(/^\uFFFD+|\uFFFD+$/g, ''), tokens: window.length });
    if (from + s.max_chunk_size_tokens >= tokens.length) break;
  }
  return { chunks, tokens: tokens.length };
}
