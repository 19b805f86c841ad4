/**
 * The HTTP surface around the routes: both mounts (`/…` and `/v1/…`), OpenAI-shaped errors for
 * unknown routes, wrong methods, bad and oversized bodies, `x-request-id` on every response
 * (and the SDK exposing it), `/health`, and API-key auth (on a second API with API_KEYS set).
 */
import { AuthenticationError } from 'openai';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startService, type Service } from './support/services.js';
import { client, failure } from './support/client.js';
import { sql } from './support/db.js';

const base = inject('apiUrl');
const openai = client();
const REQUEST_ID = /^req_[0-9a-f]+$/;

/** A raw request with the SDK's usual headers unless overridden; returns status, headers and parsed body. */
async function raw(
  path: string,
  init: { method?: string; body?: string; headers?: Record<string, string> } = {},
  url = base,
): Promise<{ status: number; headers: Headers; body: any }> {
  const res = await fetch(url + path, {
    method: init.method ?? 'GET',
    headers: { authorization: 'Bearer EMPTY', 'openai-beta': 'assistants=v2', 'content-type': 'application/json', ...init.headers },
    body: init.body,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

/** Every error, whatever its cause, has exactly OpenAI's four fields and a request id. */
function expectOpenAIError(res: { status: number; headers: Headers; body: any }, status: number) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expect(res.headers.get('x-request-id')).toMatch(REQUEST_ID);
  expect(Object.keys(res.body)).toEqual(['error']);
  expect(Object.keys(res.body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(typeof res.body.error.message).toBe('string');
  expect(res.body.error.message.length).toBeGreaterThan(0);
  expect(typeof res.body.error.type).toBe('string');
}

describe('mounts', () => {
  it('serves every route both at /… and at /v1/…, for raw requests and the SDK', async () => {
    const bare = client(base);
    const v1 = client(`${base}/v1`);
    const created = await bare.beta.assistants.create({ model: 'gpt-4o', name: 'mounted', metadata: { via: 'bare' } });
    expect(created.id).toMatch(/^asst_/);
    expect(await v1.beta.assistants.retrieve(created.id)).toEqual(created);

    const updated = await v1.beta.assistants.update(created.id, { metadata: { via: 'v1' } });
    expect(updated.metadata).toEqual({ via: 'v1' });
    expect(await bare.beta.assistants.retrieve(created.id)).toEqual(updated);

    const atRoot = await raw(`/assistants/${created.id}`);
    const atV1 = await raw(`/v1/assistants/${created.id}`);
    expect(atRoot.status).toBe(200);
    expect(atV1.status).toBe(200);
    expect(atRoot.body).toEqual(updated);
    expect(atV1.body).toEqual(updated);

    // Lists through both mounts see the same assistant.
    const listedBare = await bare.beta.assistants.list({ limit: 100 });
    const listedV1 = await v1.beta.assistants.list({ limit: 100 });
    expect(listedBare.data.map((a) => a.id)).toContain(created.id);
    expect(listedV1.data.map((a) => a.id)).toContain(created.id);

    expect(await v1.beta.assistants.delete(created.id)).toEqual({ id: created.id, object: 'assistant.deleted', deleted: true });
    expect((await failure(bare.beta.assistants.retrieve(created.id))).status).toBe(404);
  });
});

describe('errors are OpenAI-shaped', () => {
  it('unknown route: 404 Invalid URL naming the method and path as sent', async () => {
    const res = await raw('/v1/nope');
    expectOpenAIError(res, 404);
    expect(res.body).toEqual({ error: { message: 'Invalid URL (GET /v1/nope)', type: 'invalid_request_error', param: null, code: null } });

    const post = await raw('/nope/deeper?x=1', { method: 'POST', body: '{}' });
    expectOpenAIError(post, 404);
    expect(post.body.error.message).toBe('Invalid URL (POST /nope/deeper)');

    // The SDK maps it to NotFoundError with the same body.
    const err = await failure(openai.get('/nope'));
    expect(err.status).toBe(404);
    expect(err.error).toEqual({ message: 'Invalid URL (GET /nope)', type: 'invalid_request_error', param: null, code: null });
  });

  it('wrong method on a known path: 405', async () => {
    for (const path of ['/v1/assistants', '/assistants']) {
      const res = await raw(path, { method: 'PUT', body: '{}' });
      expectOpenAIError(res, 405);
      expect(res.body.error).toMatchObject({ type: 'invalid_request_error', param: null, code: 'method_not_allowed' });
      expect(res.body.error.message).toContain('PUT');
      expect(res.body.error.message).toContain(path);
    }
    const del = await raw('/v1/threads', { method: 'DELETE' });
    expectOpenAIError(del, 405);
  });

  it('malformed JSON: 400 with OpenAI’s parse-error wording; nothing is created', async () => {
    const marker = `malformed-${Date.now()}-${Math.random()}`;
    const res = await raw('/v1/assistants', { method: 'POST', body: `{"model": "gpt-4o", "name": "${marker}",` });
    expectOpenAIError(res, 400);
    expect(res.body.error).toMatchObject({ type: 'invalid_request_error', param: null, code: null });
    expect(res.body.error.message).toMatch(/could not parse the JSON body/);
    expect(await sql('SELECT id FROM assistants WHERE name = $1', [marker])).toEqual([]);

    // A body that is valid JSON but not an object or array (strict parsing) is the same 400.
    const scalar = await raw('/v1/threads', { method: 'POST', body: '"just a string"' });
    expectOpenAIError(scalar, 400);
  });

  it('a JSON array body: 400', async () => {
    const res = await raw('/v1/assistants', { method: 'POST', body: JSON.stringify([{ model: 'gpt-4o' }]) });
    expectOpenAIError(res, 400);
    expect(res.body.error.type).toBe('invalid_request_error');

    const thread = await raw('/v1/threads', { method: 'POST', body: '[]' });
    expectOpenAIError(thread, 400);
  });

  it('a body over BODY_LIMIT (2mb by default): 413, through fetch and the SDK', async () => {
    const big = JSON.stringify({ model: 'gpt-4o', instructions: 'x'.repeat(3 * 1024 * 1024) });
    const res = await raw('/v1/assistants', { method: 'POST', body: big });
    expectOpenAIError(res, 413);
    expect(res.body.error.type).toBe('invalid_request_error');

    const err = await failure(openai.beta.assistants.create({ model: 'gpt-4o', instructions: 'y'.repeat(3 * 1024 * 1024) }));
    expect(err.status).toBe(413);
    expect(err.error).toMatchObject({ type: 'invalid_request_error' });
    expect(err.requestID).toMatch(REQUEST_ID);

    // Just under the limit is parsed (and then judged by validation, not by size).
    const under = await raw('/v1/assistants', { method: 'POST', body: JSON.stringify({ model: 'gpt-4o', description: 'z'.repeat(1024 * 1024) }) });
    expect(under.status).toBe(400);
    expect(under.body.error.param).toBe('description');
  });
});

describe('request ids', () => {
  it('every response carries a distinct x-request-id starting req_', async () => {
    const responses = await Promise.all([
      raw('/v1/assistants'),
      raw('/v1/nope'),
      raw('/v1/assistants', { method: 'PUT' }),
      raw('/v1/assistants', { method: 'POST', body: '{' }),
      raw('/v1/assistants/asst_missing'),
      raw('/health', { headers: {} }),
    ]);
    expect(responses.map((r) => r.status)).toEqual([200, 404, 405, 400, 404, 200]);
    const ids = responses.map((r) => r.headers.get('x-request-id'));
    for (const id of ids) expect(id).toMatch(REQUEST_ID);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('the SDK exposes it: _request_id on results, requestID on errors', async () => {
    const assistant = await openai.beta.assistants.create({ model: 'gpt-4o' });
    expect(assistant._request_id).toMatch(REQUEST_ID);
    const retrieved = await openai.beta.assistants.retrieve(assistant.id);
    expect(retrieved._request_id).toMatch(REQUEST_ID);
    expect(retrieved._request_id).not.toBe(assistant._request_id);

    const { data, response, request_id } = await openai.beta.assistants.retrieve(assistant.id).withResponse();
    expect(data.id).toBe(assistant.id);
    expect(request_id).toMatch(REQUEST_ID);
    expect(request_id).toBe(response.headers.get('x-request-id'));

    const err = await failure(openai.beta.assistants.retrieve('asst_doesnotexist'));
    expect(err.status).toBe(404);
    expect(err.requestID).toMatch(REQUEST_ID);
    expect(err.headers?.get('x-request-id')).toBe(err.requestID);
  });
});

describe('health and headers', () => {
  it('GET /health (= /health/ready): 200 with postgres, temporal, s3, the event listener and the model server ok, without any auth header', async () => {
    for (const path of ['/health', '/health/ready']) {
      const res = await fetch(`${base}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-request-id')).toMatch(REQUEST_ID);
      expect(await res.json()).toEqual({ status: 'ok', services: { postgres: { ok: true }, temporal: { ok: true }, s3: { ok: true }, listener: { ok: true }, model: { ok: true } } });
    }
    const live = await fetch(`${base}/health/live`);
    expect([live.status, await live.json()]).toEqual([200, { status: 'ok' }]);
  });

  it('requests without the OpenAI-Beta header are accepted', async () => {
    const created = await fetch(`${base}/v1/assistants`, {
      method: 'POST',
      headers: { authorization: 'Bearer EMPTY', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', name: 'no beta header' }),
    });
    expect(created.status).toBe(200);
    const assistant = (await created.json()) as { id: string; name: string; object: string };
    expect(assistant).toMatchObject({ object: 'assistant', name: 'no beta header' });

    const got = await fetch(`${base}/v1/assistants/${assistant.id}`, { headers: { authorization: 'Bearer EMPTY' } });
    expect(got.status).toBe(200);
    expect(await got.json()).toEqual(assistant);
  });
});

describe('auth', () => {
  it('with API_KEYS unset, any bearer key is accepted, including EMPTY', async () => {
    for (const key of ['EMPTY', 'sk-anything-at-all', 'k1']) {
      const created = await client(base, key).beta.assistants.create({ model: 'gpt-4o', name: `key ${key}` });
      expect(created.name).toBe(`key ${key}`);
      const res = await raw('/v1/threads', { method: 'POST', body: '{}', headers: { authorization: `Bearer ${key}` } });
      expect(res.status).toBe(200);
      expect(res.body.object).toBe('thread');
    }
  });

  describe('with API_KEYS=k1,k2', () => {
    let api: Service;
    beforeAll(async () => {
      api = await startService('api', { ...inject('serviceEnv'), API_KEYS: 'k1,k2' });
    });
    afterAll(async () => {
      await api?.stop();
    });

    it('no key: 401 invalid_api_key', async () => {
      const res = await raw('/v1/assistants', { headers: { authorization: '' } }, api.url);
      expectOpenAIError(res, 401);
      expect(res.body.error).toMatchObject({ type: 'invalid_request_error', param: null, code: 'invalid_api_key' });
      expect(res.body.error.message).toMatch(/didn't provide an API key/);

      // A header that is not Bearer auth counts as no key.
      const basic = await raw('/v1/assistants', { headers: { authorization: 'Basic azE6' } }, api.url);
      expectOpenAIError(basic, 401);
      expect(basic.body.error.code).toBe('invalid_api_key');
    });

    it('a wrong key: AuthenticationError in the SDK, code invalid_api_key, key not echoed whole', async () => {
      for (const wrong of ['sk-wrong-0123456789abcdef', 'nope']) {
        const err = await failure(client(api.url, wrong).beta.assistants.list());
        expect(err).toBeInstanceOf(AuthenticationError);
        expect(err.status).toBe(401);
        expect(err.code).toBe('invalid_api_key');
        expect(err.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_api_key' });
        expect(err.message).toMatch(/Incorrect API key provided/);
        expect(err.message).not.toContain(wrong);
        expect(JSON.stringify(err.error)).not.toContain(wrong);
        expect(err.requestID).toMatch(REQUEST_ID);
      }
      // A listed key with something appended is still wrong.
      const err = await failure(client(api.url, 'k1k2').beta.assistants.list());
      expect(err.status).toBe(401);
    });

    it('k1 and k2 work, on both mounts', async () => {
      const k2 = client(api.url, 'k2');
      const created = await k2.beta.assistants.create({ model: 'gpt-4o', name: 'authorised' });
      expect(created.name).toBe('authorised');
      expect(await client(`${api.url}/v1`, 'k1').beta.assistants.retrieve(created.id)).toEqual(created);
      // The shared API (same database) sees it too.
      expect((await openai.beta.assistants.retrieve(created.id)).id).toBe(created.id);
    });

    it('/health needs no key', async () => {
      const res = await fetch(`${api.url}/health`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { status: string }).status).toBe('ok');
    });
  });
});
