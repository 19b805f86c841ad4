import { newId } from '../ids.js';
import { LlmError, type ChatRequest } from './types.js';

/** An OpenAI-style tool call id, for backends (and prompted mode) that give none. */
export const newToolCallId = (): string => newId('toolCall');

/**
 * Rough token count (≈ 4 characters per token) for backends that report no usage, so runs
 * still carry plausible `usage` and token caps still bite. Not billing-grade.
 */
export function estimateTokens(chars: number): number {
  return Math.ceil(chars / 4);
}

export function estimatePromptTokens(req: ChatRequest): number {
  let chars = req.tools.length ? JSON.stringify(req.tools).length : 0;
  for (const m of req.messages) {
    chars += m.content?.length ?? 0;
    if (m.role === 'assistant') for (const c of m.toolCalls ?? []) chars += c.name.length + c.arguments.length;
  }
  return estimateTokens(chars);
}

/** `retry-after-ms`, else `retry-after` (seconds or an HTTP date), as the OpenAI SDKs read them. */
export function retryAfterMs(headers: Headers | undefined): number | undefined {
  const ms = Number(headers?.get('retry-after-ms') ?? NaN);
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers?.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/**
 * One HTTP call's abort controller: follows the caller's signal, and also fires when the backend
 * sends nothing for `idleMs` (before the headers or between chunks: a stalled stream would
 * otherwise hold the activity until its own timeout). Time the consumer spends on an event counts
 * too, so `idleMs` must dwarf per-event work. `settle` turns whatever the request threw into the
 * error the caller must see, the caller's abort reason first.
 */
export class RequestGuard {
  readonly #controller = new AbortController();
  readonly #caller: AbortSignal | undefined;
  readonly #idleMs: number;
  #timer: NodeJS.Timeout | undefined;
  #timedOut = false;
  readonly #onCallerAbort = () => this.#controller.abort(this.#caller?.reason);

  constructor(caller: AbortSignal | undefined, idleMs: number) {
    this.#caller = caller;
    this.#idleMs = idleMs;
    if (caller?.aborted) this.#onCallerAbort();
    else caller?.addEventListener('abort', this.#onCallerAbort, { once: true });
    this.touch();
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Call whenever the backend sent something. */
  touch(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timedOut = true;
      this.#controller.abort();
    }, this.#idleMs);
  }

  /** Throws if the request was cut short by the caller or the idle timeout (some clients end quietly then). */
  check(): void {
    this.#caller?.throwIfAborted();
    if (this.#timedOut) throw new LlmError(`model backend sent nothing for ${this.#idleMs} ms`, 'server_error', true);
  }

  settle(err: unknown, classify: (err: unknown) => LlmError): never {
    this.check();
    throw err instanceof LlmError ? err : classify(err);
  }

  dispose(): void {
    clearTimeout(this.#timer);
    this.#caller?.removeEventListener('abort', this.#onCallerAbort);
  }
}

/** Error codes of a server that is not there at all (as opposed to one that failed mid-way). */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * Failures below HTTP (refused, reset, DNS, a body cut mid-way, garbled stream): worth a retry.
 * Given the `target` it was sent to, a server that is not there names the URL and its setting.
 */
export function transportError(err: unknown, target?: { url: string; setting: string }): LlmError {
  const code = target && unreachableCode(err);
  if (code) return new LlmError(`model server at ${target.url} is not reachable (${code}); check ${target.setting}`, 'server_error', true, undefined, undefined, true);
  const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
  const message = err instanceof Error ? err.message : String(err);
  return new LlmError(`model backend request failed: ${message}${cause}`, 'server_error', true);
}

/** The system error code somewhere down the `cause` chain (fetch nests it two levels deep). */
function unreachableCode(err: unknown): string | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && UNREACHABLE.has(code)) return code;
    // Both address families refused: Node reports an AggregateError whose parts carry the code.
    if (e instanceof AggregateError) return e.errors.map(unreachableCode).find(Boolean);
  }
  return undefined;
}
