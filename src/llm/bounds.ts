/**
 * Limits on one model call, for any backend: a default `max_tokens`, a whole-call deadline
 * (beside the silence timeout each adapter's `RequestGuard` keeps), and a guard that stops a
 * degenerate generation looping on the same text. The deadline and the guard are not retryable:
 * the same prompt would hit them again.
 */
import { LlmError, type ChatEvent, type ChatModel, type ChatRequest } from './types.js';

export interface Bounds {
  /** Sent as `max_tokens` when the request sets none; undefined leaves it to the backend. */
  maxTokens?: number;
  /** `LLM_CALL_TIMEOUT_MS`. */
  callTimeoutMs: number;
  /** `LLM_MAX_REPEAT_CHARS`: how long the output may end in one repeated chunk; 0 turns the guard off. */
  maxRepeatChars: number;
}

export class BoundedModel implements ChatModel {
  readonly #inner: ChatModel;
  readonly #bounds: Bounds;

  constructor(inner: ChatModel, bounds: Bounds) {
    this.#inner = inner;
    this.#bounds = bounds;
  }

  async *stream(req: ChatRequest): AsyncGenerator<ChatEvent> {
    const { callTimeoutMs, maxRepeatChars } = this.#bounds;
    // Aborting with an LlmError makes the adapter throw it (a stream throws its signal's reason).
    const stop = new AbortController();
    const deadline = setTimeout(
      () => stop.abort(new LlmError(`model call stopped after LLM_CALL_TIMEOUT_MS (${callTimeoutMs} ms); raise LLM_CALL_TIMEOUT_MS to allow longer calls`, 'server_error', false)),
      callTimeoutMs,
    );
    const signal = req.signal ? AbortSignal.any([req.signal, stop.signal]) : stop.signal;
    const repeats = new RepetitionDetector(maxRepeatChars);
    try {
      for await (const event of this.#inner.stream({ ...req, signal, maxTokens: req.maxTokens ?? this.#bounds.maxTokens })) {
        const output = event.type === 'text' ? event.delta : event.type === 'tool_call' ? (event.argumentsDelta ?? '') : '';
        const loop = output ? repeats.add(output) : undefined;
        if (loop) {
          const err = new LlmError(
            `model output stopped: it ended in the same ${loop.chunk.length}-character chunk ${JSON.stringify(loop.chunk.slice(0, 40))} repeated at least ${loop.times} times in a row; LLM_MAX_REPEAT_CHARS (${maxRepeatChars}) sets how long a repetition may run, 0 turns this guard off`,
            'server_error',
            false,
          );
          stop.abort(err);
          throw err;
        }
        yield event;
      }
    } finally {
      clearTimeout(deadline);
    }
  }
}

/**
 * A chunk of 8 to 500 characters repeated back to back over at least `maxRepeatChars` characters
 * and at least 10 times. Shorter loops count as the multiple of theirs that reaches 8 characters
 * (`aaaa…` is `aaaaaaaa` repeated). Real answers (tables, lists, code) vary within a few hundred
 * characters; a 4000-character exact loop, the default, is a model stuck in one.
 */
const MIN_CHUNK = 8;
const MAX_CHUNK = 500;
const MIN_TIMES = 10;
/** Checking after every few characters instead of every delta keeps the cost per token small. */
const CHECK_EVERY = 64;

export class RepetitionDetector {
  readonly #minSpan: number;
  readonly #keep: number;
  #tail = '';
  #unchecked = 0;

  constructor(minSpan: number) {
    this.#minSpan = minSpan;
    this.#keep = Math.max(minSpan, MAX_CHUNK * MIN_TIMES);
  }

  /** Adds output; returns the loop when the output now ends in one. */
  add(output: string): { chunk: string; times: number } | undefined {
    if (this.#minSpan <= 0) return undefined;
    this.#tail = (this.#tail + output).slice(-this.#keep);
    this.#unchecked += output.length;
    if (this.#unchecked < CHECK_EVERY) return undefined;
    this.#unchecked = 0;
    const tail = this.#tail;
    for (let size = MIN_CHUNK; size <= MAX_CHUNK; size++) {
      const span = Math.max(this.#minSpan, size * MIN_TIMES);
      if (span > tail.length) break;
      if (endsPeriodic(tail, size, span)) return { chunk: tail.slice(-size), times: Math.floor(span / size) };
    }
    return undefined;
  }
}

/** Whether the last `span` characters of `text` repeat with period `size`. */
function endsPeriodic(text: string, size: number, span: number): boolean {
  for (let i = text.length - span; i + size < text.length; i++) if (text[i] !== text[i + size]) return false;
  return true;
}
