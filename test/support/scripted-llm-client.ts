/**
 * Remote control for a scripted model server (`./scripted-llm.ts`) running in another process,
 * e.g. the one vitest's global setup starts and the API/worker children reach through MODEL_URL.
 * Only plain `Reply` objects can be scripted this way: function replies cannot cross HTTP.
 */
import type { Reply } from './scripted-llm.js';

export interface RemoteScriptedLlm {
  /** The server's `http://127.0.0.1:<port>/v1` URL, as given. */
  url: string;
  /** Appends to the model's FIFO queue; use a unique model name per test so tests can run concurrently. */
  script(model: string, replies: Reply[]): Promise<void>;
  /** Parsed bodies received for the model so far, in order (a snapshot). */
  requests(model: string): Promise<any[]>;
  /** A fixed reply for every model whose queue is empty, server-wide (shared by every test using the server); `null` clears it. */
  setDefault(reply: Reply | null): Promise<void>;
  /** Clears the model's queue and recorded requests. */
  reset(model: string): Promise<void>;
}

/** `url` is the server's `.../v1` URL (a trailing slash or `/chat/completions` is tolerated). */
export function connectScriptedLlm(url: string): RemoteScriptedLlm {
  const root = url.replace(/\/+$/, '').replace(/\/chat\/completions$/, '').replace(/\/v1$/, '');
  if (!/^https?:\/\//.test(root)) throw new Error(`connectScriptedLlm: not an http(s) URL: ${url}`);

  async function call(method: 'GET' | 'POST', route: string, body?: unknown): Promise<unknown> {
    const target = `${root}/_scripted/${route}`;
    const res = await fetch(target, {
      method,
      ...(body !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`scripted LLM ${method} ${target} failed with ${res.status}: ${text}`);
    return text ? JSON.parse(text) : undefined;
  }

  return {
    url,
    async script(model, replies) {
      await call('POST', 'script', { model, replies });
    },
    async requests(model) {
      return (await call('GET', `requests?model=${encodeURIComponent(model)}`)) as any[];
    },
    async setDefault(reply) {
      await call('POST', 'default', { reply });
    },
    async reset(model) {
      await call('POST', 'reset', { model });
    },
  };
}
