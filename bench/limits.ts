import OpenAI from 'openai';
import type { Harness } from '../test/support/harness.js';
import { startService } from '../test/support/services.js';
import { p50p99 } from './code-sandbox.js';
import { pool } from './lib.js';

export interface LimiterCost {
  /** ms per request, one at a time, interleaved: the suite's API (no limits) and one with RPM and TPM set. */
  unlimited: { p50: number; p99: number };
  limited: { p50: number; p99: number };
  /** Requests per second with `clients` at once, all of one project: its window row is the hot spot. */
  unlimitedPerSecond: number;
  limitedPerSecond: number;
}

/**
 * Section l: what the per-project limiter costs a request. The same cheap request (retrieve an
 * assistant) against the suite's API, where no limit is set (no round trip), and against a second
 * API on the same stack with PROJECT_RPM and PROJECT_TPM set far above what it gets (one upsert
 * of the project's window per request, src/db/rate-limits.ts).
 */
export async function limiterCost(h: Harness, samples: number, clients: number): Promise<LimiterCost> {
  const huge = String(2 ** 31 - 1);
  const limitedApi = await startService('api', { ...h.env, LOG_LEVEL: 'warn', PROJECT_RPM: huge, PROJECT_TPM: huge });
  try {
    const open = new OpenAI({ baseURL: h.api.url, apiKey: 'bench', maxRetries: 0 });
    const limited = new OpenAI({ baseURL: limitedApi.url, apiKey: 'bench', maxRetries: 0 });
    const { id } = await open.beta.assistants.create({ model: 'bench-limits' });
    const { response } = await limited.beta.assistants.retrieve(id).withResponse();
    if (!response.headers.get('x-ratelimit-limit-requests')) throw new Error('the limited API sent no x-ratelimit headers');
    const timed = async (openai: OpenAI) => {
      const t0 = performance.now();
      await openai.beta.assistants.retrieve(id);
      return performance.now() - t0;
    };
    const a: number[] = [];
    const b: number[] = [];
    for (let i = -20; i < samples; i++) {
      const [x, y] = [await timed(open), await timed(limited)];
      if (i < 0) continue; // warm-up
      a.push(x);
      b.push(y);
    }
    const perSecond = async (openai: OpenAI) => {
      const t0 = performance.now();
      await pool(Array.from({ length: samples }), clients, async () => void (await openai.beta.assistants.retrieve(id)));
      return samples / ((performance.now() - t0) / 1000);
    };
    return { unlimited: p50p99(a), limited: p50p99(b), unlimitedPerSecond: await perSecond(open), limitedPerSecond: await perSecond(limited) };
  } finally {
    await limitedApi.stop();
  }
}
