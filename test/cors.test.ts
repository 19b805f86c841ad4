/**
 * CORS_ORIGINS: a page on a listed origin may call the API from the browser (the SDK with
 * `dangerouslyAllowBrowser`): its preflight is answered before auth, its requests carry the
 * origin back and expose OpenAI's headers; another origin gets no CORS headers, and without the
 * setting none are sent.
 */
import { describe, expect, it } from 'vitest';
import { uniqueModel } from './support/client.js';
import { startForTest } from './support/services.js';

const page = 'https://app.example.com';
const preflight = (url: string, origin: string) =>
  fetch(`${url}/v1/assistants`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type, openai-beta, x-stainless-os' },
  });

describe('CORS', () => {
  it('answers a listed origin’s preflight without a key, and exposes OpenAI’s headers on its requests', { timeout: 120_000 }, async () => {
    const api = await startForTest('api', { CORS_ORIGINS: `${page}, https://other.example.com`, API_KEYS: 'sk-cors' });
    const ok = await preflight(api.url, page);
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe(page);
    expect(ok.headers.get('access-control-allow-headers')).toBe('authorization, content-type, openai-beta, x-stainless-os');
    expect(ok.headers.get('access-control-allow-methods')).toContain('POST');

    const created = await fetch(`${api.url}/v1/assistants`, {
      method: 'POST',
      headers: { origin: page, authorization: 'Bearer sk-cors', 'content-type': 'application/json' },
      body: JSON.stringify({ model: uniqueModel('cors') }),
    });
    expect(created.status).toBe(200);
    expect(created.headers.get('access-control-allow-origin')).toBe(page);
    const exposed = created.headers.get('access-control-expose-headers')!.split(',');
    for (const header of ['x-request-id', 'openai-processing-ms', 'retry-after', 'x-ratelimit-remaining-requests', 'x-ratelimit-reset-tokens']) expect(exposed).toContain(header);
    // An error answer is readable by the page too.
    const unauthorized = await fetch(`${api.url}/v1/assistants`, { headers: { origin: page } });
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.headers.get('access-control-allow-origin')).toBe(page);

    const stranger = await preflight(api.url, 'https://evil.example.com');
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('sends no CORS headers without CORS_ORIGINS', { timeout: 120_000 }, async () => {
    const api = await startForTest('api', {});
    const res = await fetch(`${api.url}/v1/assistants`, { headers: { origin: page } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});
