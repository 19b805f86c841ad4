/**
 * Per-project limits through the SDKs: requests and tokens per minute (OpenAI's 429 and
 * `x-ratelimit-*` headers), the cap on active runs, their overrides through the admin API,
 * one window shared by two API processes, and the admin API's completions usage.
 * These APIs have a database of their own (issuing project keys ends the open mode the rest
 * of the suite relies on) and a task queue of their own, so their runs are theirs alone.
 */
import OpenAI, { RateLimitError } from 'openai';
import type { UsageCompletionsResponse } from 'openai/resources/admin/organization/usage';
import type { Run } from 'openai/resources/beta/threads/runs/runs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { failure, llm, uniqueModel } from './support/client.js';
import { ownDatabase, sql } from './support/db.js';
import { settled, waitForRun, weatherTool } from './support/runs.js';
import { adminClient, newProjectKey, projectClient } from './support/admin.js';
import { startForTest, startService, type Service } from './support/services.js';

const ADMIN_KEY = 'sk-admin-limits-test-0123456789';

let env: Record<string, string>;
let api: Service;

beforeAll(async () => {
  env = { ...inject('serviceEnv'), ...(await ownDatabase('limits')), ADMIN_API_KEY: ADMIN_KEY };
  api = await startService('api', env);
}, 120_000);
afterAll(() => api?.stop(true));

const admin = (service = api) => adminClient(service, ADMIN_KEY);
const rateLimits = () => admin().admin.organization.projects.rateLimits;

/** A new project with a service account's key; `limits` its overrides, set through the admin API. */
async function newProject(limits: { max_requests_per_1_minute?: number; max_tokens_per_1_minute?: number; max_active_runs?: number } = {}, service = api) {
  const operator = admin(service);
  const { projectId, key } = await newProjectKey(operator, uniqueModel('limits'));
  if (Object.keys(limits).length) await operator.admin.organization.projects.rateLimits.updateRateLimit('rl-all', { project_id: projectId, ...limits });
  return { id: projectId, key, client: projectClient(service, key) };
}

const RATE_HEADERS = ['limit', 'remaining', 'reset'].flatMap((h) => [`x-ratelimit-${h}-requests`, `x-ratelimit-${h}-tokens`]);
const rateHeaders = (headers: Headers) => Object.fromEntries(RATE_HEADERS.filter((h) => headers.has(h)).map((h) => [h, headers.get(h)]));
/** OpenAI's duration format: `20ms`, `1.5s`, `6m0s`. */
const DURATION = /^(\d+ms|(\d+m)?\d+(\.\d+)?s)$/;

/** An assistant whose model calls the weather function: its runs park in requires_action. */
async function parkingAssistant(openai: OpenAI, calls: number) {
  const model = uniqueModel('parked');
  await llm().script(model, Array.from({ length: calls }, () => ({ toolCalls: [{ name: 'getCurrentWeather', arguments: { location: 'SF' } }] })));
  return openai.beta.assistants.create({ model, tools: [weatherTool] });
}

type CompletionsResult = UsageCompletionsResponse.Data.OrganizationUsageCompletionsResult;
/** A page's results, as the completions results they are. */
const resultsOf = (page: UsageCompletionsResponse) => page.data.flatMap((b) => b.results as CompletionsResult[]);

const activeRuns = async (projectId: string) =>
  (await sql<{ n: number }>(`SELECT count(*)::int AS n FROM runs WHERE project_id = $1 AND status IN ('queued', 'in_progress', 'requires_action', 'cancelling')`, [projectId], env.DATABASE_URL))[0]!.n;

describe('requests per minute', () => {
  it("the request over PROJECT_RPM gets OpenAI's 429 with its headers; successes carry them too; the next window serves again", { timeout: 120_000 }, async () => {
    // A window of 3 s, so the test can see one end without waiting a minute.
    const short = await startForTest('api', { ...env, PROJECT_RPM: '3', PROJECT_TPM: '1000000', PROJECT_MAX_ACTIVE_RUNS: '5', RATE_LIMIT_WINDOW_SECONDS: '3' });
    const project = await newProject({}, short);
    // The defaults are the settings' until overridden.
    const listed = await admin(short).admin.organization.projects.rateLimits.listRateLimits(project.id);
    expect(listed.data).toEqual([{ id: 'rl-all', object: 'project.rate_limit', model: '*', max_requests_per_1_minute: 3, max_tokens_per_1_minute: 1_000_000, max_active_runs: 5 }]);

    const remaining = [];
    for (let i = 0; i < 3; i++) {
      const { response } = await project.client.beta.assistants.list().withResponse();
      const headers = rateHeaders(response.headers);
      expect(headers).toMatchObject({ 'x-ratelimit-limit-requests': '3', 'x-ratelimit-limit-tokens': '1000000', 'x-ratelimit-remaining-tokens': '1000000' });
      expect(headers['x-ratelimit-reset-requests']).toMatch(DURATION);
      remaining.push(headers['x-ratelimit-remaining-requests']);
    }
    expect(remaining).toEqual(['2', '1', '0']);

    const refused = await failure(project.client.beta.assistants.list());
    expect(refused).toBeInstanceOf(RateLimitError);
    expect(refused.status).toBe(429);
    expect(refused.error).toEqual({
      message: expect.stringMatching(new RegExp(`^Rate limit reached for requests in project ${project.id} on requests per min \\(RPM\\): Limit 3, Used 3, Requested 1\\. Please try again in (\\d+ms|\\d+(\\.\\d+)?s)\\.$`)),
      type: 'requests',
      param: null,
      code: 'rate_limit_exceeded',
    });
    expect(rateHeaders(refused.headers!)).toMatchObject({ 'x-ratelimit-limit-requests': '3', 'x-ratelimit-remaining-requests': '0' });
    const retryAfter = Number(refused.headers!.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(3);

    // Once the window is over (retry-after says when), a new one starts with this request.
    await new Promise((r) => setTimeout(r, retryAfter * 1000));
    const { response } = await project.client.beta.assistants.list().withResponse();
    expect(rateHeaders(response.headers)['x-ratelimit-remaining-requests']).toBe('2');

    // The admin endpoints are not limited.
    for (let i = 0; i < 5; i++) await admin(short).admin.organization.projects.retrieve(project.id);
  });

  it('an override through the admin SDK changes the limit on the next request; 0 lifts it, null restores the default; bad input is a 4xx', { timeout: 60_000 }, async () => {
    const project = await newProject();
    // This API has no PROJECT_RPM: nothing is limited and no header is sent.
    const { response: free } = await project.client.beta.assistants.list().withResponse();
    expect(rateHeaders(free.headers)).toEqual({});
    expect((await rateLimits().listRateLimits(project.id)).data).toEqual([{ id: 'rl-all', object: 'project.rate_limit', model: '*', max_requests_per_1_minute: 0, max_tokens_per_1_minute: 0, max_active_runs: 0 }]);

    const one = await rateLimits().updateRateLimit('rl-all', { project_id: project.id, max_requests_per_1_minute: 1 });
    expect(one).toEqual({ id: 'rl-all', object: 'project.rate_limit', model: '*', max_requests_per_1_minute: 1, max_tokens_per_1_minute: 0, max_active_runs: 0 });
    const { response } = await project.client.beta.assistants.list().withResponse();
    expect(rateHeaders(response.headers)).toMatchObject({ 'x-ratelimit-limit-requests': '1', 'x-ratelimit-remaining-requests': '0' });
    expect((await failure(project.client.beta.assistants.list())).status).toBe(429);

    // Raised: the next request is served (the refused one was counted: 3 of 10 now).
    await rateLimits().updateRateLimit('rl-all', { project_id: project.id, max_requests_per_1_minute: 10 });
    const { response: raised } = await project.client.beta.assistants.list().withResponse();
    expect(rateHeaders(raised.headers)).toMatchObject({ 'x-ratelimit-limit-requests': '10', 'x-ratelimit-remaining-requests': '7' });

    // 0 lifts it; null goes back to the setting's default, here none.
    await rateLimits().updateRateLimit('rl-all', { project_id: project.id, max_requests_per_1_minute: 0 });
    expect(rateHeaders((await project.client.beta.assistants.list().withResponse()).response.headers)).toEqual({});
    await rateLimits().updateRateLimit('rl-all', { project_id: project.id, max_requests_per_1_minute: 2 });
    const restored = await rateLimits().updateRateLimit('rl-all', { project_id: project.id, max_requests_per_1_minute: null as unknown as number });
    expect(restored.max_requests_per_1_minute).toBe(0);
    expect((await sql('SELECT max_requests_per_minute FROM projects WHERE id = $1', [project.id], env.DATABASE_URL))[0]).toEqual({ max_requests_per_minute: null });

    for (const [value, code] of [
      [-1, 'integer_below_min_value'],
      [1.5, 'invalid_type'],
      ['10', 'invalid_type'],
    ] as const) {
      const bad = await failure(rateLimits().updateRateLimit('rl-all', { project_id: project.id, max_tokens_per_1_minute: value as number }));
      expect(bad.status).toBe(400);
      expect(bad.error).toMatchObject({ param: 'max_tokens_per_1_minute', code });
    }
    const unknownField = await failure(rateLimits().updateRateLimit('rl-all', { project_id: project.id, max_images_per_1_minute: 5 }));
    expect(unknownField.status).toBe(400);
    expect(unknownField.error).toMatchObject({ param: 'max_images_per_1_minute', code: 'unknown_parameter' });
    const unknownLimit = await failure(rateLimits().updateRateLimit('rl-gpt-4o', { project_id: project.id, max_requests_per_1_minute: 5 }));
    expect(unknownLimit.status).toBe(404);
    expect(unknownLimit.error).toMatchObject({ message: "No rate limit found with id 'rl-gpt-4o'.", type: 'invalid_request_error' });
    expect((await failure(rateLimits().listRateLimits('proj_missing'))).status).toBe(404);
    // A project key cannot change its own limits.
    const own = adminClient(api, project.key);
    expect((await failure(own.admin.organization.projects.rateLimits.updateRateLimit('rl-all', { project_id: project.id, max_requests_per_1_minute: 0 }))).status).toBe(401);
  });

  it('two API processes share one window: of 20 requests split across them, exactly the limit is served', { timeout: 120_000 }, async () => {
    const other = await startForTest('api', env);
    const project = await newProject({ max_requests_per_1_minute: 7 });
    const clients = [project.client, projectClient(other, project.key)];
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        clients[i % 2]!.beta.assistants.list().then(
          () => 'served',
          (err: unknown) => (err instanceof RateLimitError ? 'refused' : err),
        ),
      ),
    );
    expect(outcomes.filter((o) => o === 'served')).toHaveLength(7);
    expect(outcomes.filter((o) => o === 'refused')).toHaveLength(13);
  });
});

describe('tokens per minute', () => {
  it("once the window's tokens reach the limit, requests that start model work get a 429 tokens; others are served", { timeout: 120_000 }, async () => {
    const project = await newProject({ max_tokens_per_1_minute: 1 });
    const openai = project.client;
    const model = uniqueModel('tpm');
    await llm().script(model, [{ text: 'an answer that costs tokens' }]);
    const assistant = await openai.beta.assistants.create({ model });
    const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: 'spend some tokens' }] });
    const { data: run, response } = await openai.beta.threads.runs.create(thread.id, { assistant_id: assistant.id }).withResponse();
    // Nothing used yet when the run was created.
    expect(rateHeaders(response.headers)).toMatchObject({ 'x-ratelimit-limit-tokens': '1', 'x-ratelimit-remaining-tokens': '1' });
    const done = await waitForRun(openai, thread.id, run.id, settled);
    expect(done.status).toBe('completed');
    const used = done.usage!.total_tokens;
    expect(used).toBeGreaterThan(1);

    // Reading is not model work.
    const { response: read } = await openai.beta.threads.messages.list(thread.id).withResponse();
    expect(rateHeaders(read.headers)).toMatchObject({ 'x-ratelimit-limit-tokens': '1', 'x-ratelimit-remaining-tokens': '0' });
    expect(rateHeaders(read.headers)['x-ratelimit-reset-tokens']).toMatch(DURATION);

    const tokenMessage = new RegExp(`^Rate limit reached for tokens in project ${project.id} on tokens per min \\(TPM\\): Limit 1, Used ${used}, Requested 1\\. Please try again in `);
    for (const attempt of [
      () => openai.beta.threads.runs.create(thread.id, { assistant_id: assistant.id }),
      () => openai.beta.threads.createAndRun({ assistant_id: assistant.id }),
      () => openai.responses.create({ model, input: 'more' }),
      () => openai.beta.threads.runs.submitToolOutputs(run.id, { thread_id: thread.id, tool_outputs: [] }),
    ]) {
      const refused = await failure(attempt());
      expect(refused).toBeInstanceOf(RateLimitError);
      expect(refused.error).toEqual({ message: expect.stringMatching(tokenMessage), type: 'tokens', param: null, code: 'rate_limit_exceeded' });
      expect(Number(refused.headers!.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    // Nothing was made.
    expect((await openai.beta.threads.runs.list(thread.id)).data.map((r) => r.id)).toEqual([run.id]);
  });
});

describe('active runs', () => {
  it('with max_active_runs 2, a third run, thread-and-run or response is refused until one of the two has ended', { timeout: 120_000 }, async () => {
    const project = await newProject({ max_active_runs: 2 });
    const openai = project.client;
    const assistant = await parkingAssistant(openai, 3);
    const parked: { thread: string; run: Run }[] = [];
    for (let i = 0; i < 2; i++) {
      const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: 'weather?' }] });
      const run = await openai.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 100 });
      expect(run.status).toBe('requires_action');
      parked.push({ thread: thread.id, run });
    }

    const third = await openai.beta.threads.create();
    const capMessage = `Rate limit reached for active runs in project ${project.id}: Limit 2, Active 2.`;
    // A refusal is not kept for its Idempotency-Key: the same request retried later runs.
    const retried = { headers: { 'Idempotency-Key': uniqueModel('idem') } };
    for (const attempt of [
      () => openai.beta.threads.runs.create(third.id, { assistant_id: assistant.id }, retried),
      () => openai.beta.threads.createAndRun({ assistant_id: assistant.id }),
      () => openai.responses.create({ model: assistant.model, input: 'hi' }),
    ]) {
      const refused = await failure(attempt());
      expect(refused).toBeInstanceOf(RateLimitError);
      expect(refused.error).toMatchObject({ type: 'requests', param: null, code: 'rate_limit_exceeded' });
      expect(refused.message).toContain(capMessage);
    }
    expect((await openai.beta.threads.runs.list(third.id)).data).toEqual([]);

    // A cancelling run still counts; a cancelled one does not.
    const [first, second] = parked as [(typeof parked)[0], (typeof parked)[0]];
    await openai.beta.threads.runs.cancel(first.run.id, { thread_id: first.thread });
    expect((await waitForRun(openai, first.thread, first.run.id, (r) => r.status !== 'cancelling')).status).toBe('cancelled');
    const created = await openai.beta.threads.runs.create(third.id, { assistant_id: assistant.id }, retried);
    const accepted = await waitForRun(openai, third.id, created.id, settled);
    expect(accepted.status).toBe('requires_action');
    expect(await activeRuns(project.id)).toBe(2);

    for (const { thread, run } of [second, { thread: third.id, run: accepted }]) await openai.beta.threads.runs.cancel(run.id, { thread_id: thread });
  });

  it('concurrent creates on two API processes racing the cap never pass it', { timeout: 120_000 }, async () => {
    const other = await startForTest('api', env);
    const project = await newProject({ max_active_runs: 3 });
    const clients = [project.client, projectClient(other, project.key)];
    const assistant = await parkingAssistant(project.client, 10);
    const threads = await Promise.all(Array.from({ length: 10 }, () => project.client.beta.threads.create({ messages: [{ role: 'user', content: 'weather?' }] })));
    const outcomes = await Promise.all(
      threads.map((t, i) =>
        clients[i % 2]!.beta.threads.runs.create(t.id, { assistant_id: assistant.id }).then(
          (run) => ({ thread: t.id, run }),
          (err: unknown) => (err instanceof RateLimitError ? 'refused' : err),
        ),
      ),
    );
    const created = outcomes.filter((o): o is { thread: string; run: Run } => typeof o === 'object' && o !== null && 'run' in o);
    expect(created).toHaveLength(3);
    expect(outcomes.filter((o) => o === 'refused')).toHaveLength(7);
    for (const { thread, run } of created) expect((await waitForRun(project.client, thread, run.id, settled)).status).toBe('requires_action');
    expect(await activeRuns(project.id)).toBe(3);
    for (const { thread, run } of created) await project.client.beta.threads.runs.cancel(run.id, { thread_id: thread });
  });
});

describe('usage', () => {
  it("GET /organization/usage/completions sums the runs' and responses' usage by project and model, in OpenAI's shape", { timeout: 120_000 }, async () => {
    const [p1, p2] = await Promise.all([newProject(), newProject()]);
    const [modelA, modelB] = [uniqueModel('usage-a'), uniqueModel('usage-b')];
    const start = Math.floor(Date.now() / 1000) - 60;
    const completedRun = async (openai: OpenAI, model: string) => {
      await llm().script(model, [{ text: `an answer from ${model}` }]);
      const assistant = await openai.beta.assistants.create({ model });
      const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: 'count me' }] });
      const run = await openai.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 100 });
      expect(run.status).toBe('completed');
      return { input: run.usage!.prompt_tokens, output: run.usage!.completion_tokens };
    };
    const a1 = await completedRun(p1.client, modelA);
    const b1 = await completedRun(p1.client, modelB);
    const a2 = await completedRun(p2.client, modelA);
    await llm().script(modelB, [{ text: 'a response' }]);
    const response = await p2.client.responses.create({ model: modelB, input: 'count me too' });
    const b2 = { input: response.usage!.input_tokens, output: response.usage!.output_tokens };

    const usage = admin().admin.organization.usage;
    const page = await usage.completions({ start_time: start, group_by: ['project_id', 'model'], project_ids: [p1.id, p2.id] });
    expect(page).toMatchObject({ object: 'page', has_more: false, next_page: null });
    for (const bucket of page.data) {
      expect(bucket).toMatchObject({ object: 'bucket', start_time: expect.any(Number), end_time: bucket.start_time + 86_400 });
      expect(bucket.start_time % 86_400).toBe(0);
    }
    const results = resultsOf(page);
    const expected = (projectId: string, model: string, u: { input: number; output: number }) => ({
      object: 'organization.usage.completions.result',
      input_tokens: u.input,
      output_tokens: u.output,
      input_cached_tokens: 0,
      input_audio_tokens: 0,
      output_audio_tokens: 0,
      num_model_requests: 1,
      project_id: projectId,
      model,
      user_id: null,
      api_key_id: null,
      batch: null,
    });
    const byKey = (r: { project_id?: string | null; model?: string | null }) => `${r.project_id} ${r.model}`;
    expect([...results].sort((x, y) => byKey(x).localeCompare(byKey(y)))).toEqual(
      [expected(p1.id, modelA, a1), expected(p1.id, modelB, b1), expected(p2.id, modelA, a2), expected(p2.id, modelB, b2)].sort((x, y) => byKey(x).localeCompare(byKey(y))),
    );

    // Not grouped: one total per bucket; filtered by model.
    const total = resultsOf(await usage.completions({ start_time: start, project_ids: [p1.id, p2.id], models: [modelA] }));
    expect(total.reduce((n, r) => n + r.input_tokens, 0)).toBe(a1.input + a2.input);
    expect(total.every((r) => r.project_id === null && r.model === null)).toBe(true);

    // Minute buckets, two to a page: the pages together hold every bucket since `start` and the same tokens.
    const starts: number[] = [];
    let output = 0;
    let cursor: string | undefined;
    do {
      const minutes = await usage.completions({ start_time: start, bucket_width: '1m', limit: 2, project_ids: [p1.id], ...(cursor && { page: cursor }) });
      starts.push(...minutes.data.map((b) => b.start_time));
      output += resultsOf(minutes).reduce((n, r) => n + r.output_tokens, 0);
      cursor = minutes.next_page ?? undefined;
      expect(minutes.has_more).toBe(cursor !== undefined);
    } while (cursor);
    expect(starts).toEqual(starts.map((_, i) => Math.floor(start / 60) * 60 + i * 60));
    expect(starts.length).toBeGreaterThanOrEqual(2);
    expect(output).toBe(a1.output + b1.output);

    for (const [query, param] of [
      [{}, 'start_time'],
      [{ start_time: start, group_by: ['user_id'] }, 'group_by[0]'],
      [{ start_time: start, limit: 32 }, 'limit'],
      [{ start_time: start, bucket_width: '1w' }, 'bucket_width'],
      [{ start_time: start, page: 'bm90LWEtcGFnZQ' }, 'page'],
      [{ start_time: start, api_key_ids: ['key_x'] }, 'api_key_ids[]'],
    ] as const) {
      const bad = await failure(usage.completions(query as never));
      expect(bad.status, JSON.stringify(query)).toBe(400);
      expect(bad.error).toMatchObject({ type: 'invalid_request_error', param });
    }
  });
});
