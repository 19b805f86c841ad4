/**
 * Projects and their keys through the admin SDK (`admin.organization.projects`), and isolation:
 * project B walks the whole API surface against project A's objects and sees, changes and
 * learns nothing — every answer is exactly the one for an id that does not exist.
 * Each API here has a database of its own: issuing a key ends the open mode, which the rest
 * of the suite's server relies on.
 */
import { Client as TemporalClient, Connection } from '@temporalio/client';
import { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { newId, type IdKind } from '../src/ids.js';
import { adminClient, newProjectKey, projectClient } from './support/admin.js';
import { failure, llm, uniqueModel } from './support/client.js';
import { ownDatabase, sql } from './support/db.js';
import { settled, waitForRun } from './support/runs.js';
import { startService, type Service } from './support/services.js';

const ADMIN_KEY = 'sk-admin-tenancy-test-0123456789';

type OwnDatabase = Awaited<ReturnType<typeof ownDatabase>>;

/** An API on a database (and queues) of its own; `own` restarts one on an earlier one's. */
async function ownApi(env: Record<string, string> = {}, own?: OwnDatabase): Promise<Service & { own: OwnDatabase }> {
  const database = own ?? (await ownDatabase('tenancy'));
  const api = await startService('api', { ...inject('serviceEnv'), ...env, ...database });
  return Object.assign(api, { own: database });
}

/** One API for the file, on its own database: the first test finds it open, then issues its first key. */
let api: Awaited<ReturnType<typeof ownApi>>;
beforeAll(async () => {
  api = await ownApi({ ADMIN_API_KEY: ADMIN_KEY });
}, 120_000);
afterAll(() => api?.stop(true));

describe('projects and keys', () => {

  it('the open mode lasts until the first project key; from then on every request needs a key, and keys work, list redacted and stop at once when deleted', { timeout: 120_000 }, async () => {
    const admin = adminClient(api, ADMIN_KEY);
    const open = projectClient(api, 'EMPTY');
    // No key issued yet: any key is the default project's, as the seed's clients expect.
    const early = await open.beta.assistants.create({ model: 'm', name: 'made while open' });

    const project = await admin.admin.organization.projects.create({ name: 'alpha' });
    expect(project).toEqual({ id: expect.stringMatching(/^proj_/), object: 'organization.project', name: 'alpha', created_at: expect.any(Number), archived_at: null, status: 'active' });
    expect(await admin.admin.organization.projects.retrieve(project.id)).toEqual(project);
    expect(await admin.admin.organization.projects.update(project.id, { name: 'alpha-2' })).toMatchObject({ id: project.id, name: 'alpha-2' });
    const listed = [];
    for await (const p of admin.admin.organization.projects.list({ limit: 1 })) listed.push(p.id);
    expect(listed.sort()).toEqual(['proj_default', project.id].sort());

    const account = await admin.admin.organization.projects.serviceAccounts.create(project.id, { name: 'ci-bot' });
    expect(account).toEqual({
      id: expect.stringMatching(/^svc_acct_/),
      object: 'organization.project.service_account',
      name: 'ci-bot',
      role: 'member',
      created_at: expect.any(Number),
      api_key: { id: expect.stringMatching(/^key_/), object: 'organization.project.service_account.api_key', name: 'Secret key', created_at: expect.any(Number), value: expect.stringMatching(/^sk-svcacct-[\w-]{48}$/) },
    });
    const secret = account.api_key!.value;
    // Stored hashed: the secret is nowhere in the database.
    const [stored] = await sql<{ row: string }>('SELECT row_to_json(k)::text AS row FROM api_keys k WHERE id = $1', [account.api_key!.id], api.own.DATABASE_URL);
    expect(stored!.row).not.toContain(secret.slice('sk-svcacct-'.length));

    // From the first key on, a key is needed.
    expect((await failure(open.beta.assistants.list())).status).toBe(401);
    const alpha = projectClient(api, secret);
    const mine = await alpha.beta.assistants.create({ model: 'm', name: 'alpha asst' });
    expect((await alpha.beta.assistants.list()).data.map((a) => a.id)).toEqual([mine.id]);
    expect((await failure(alpha.beta.assistants.retrieve(early.id))).status).toBe(404);

    const keys = await admin.admin.organization.projects.apiKeys.list(project.id);
    expect(keys.data).toEqual([
      {
        id: account.api_key!.id,
        object: 'organization.project.api_key',
        name: 'Secret key',
        redacted_value: `sk-svcacct-...${secret.slice(-4)}`,
        created_at: expect.any(Number),
        last_used_at: expect.any(Number),
        owner: { type: 'service_account', service_account: { id: account.id, name: 'ci-bot', created_at: account.created_at, role: 'member' } },
        owner_project_access: 'active',
      },
    ]);
    expect(await admin.admin.organization.projects.apiKeys.retrieve(account.api_key!.id, { project_id: project.id })).toEqual(keys.data[0]);
    expect(await admin.admin.organization.projects.serviceAccounts.retrieve(account.id, { project_id: project.id })).toMatchObject({ id: account.id, name: 'ci-bot' });
    expect((await admin.admin.organization.projects.serviceAccounts.list(project.id)).data.map((a) => a.id)).toEqual([account.id]);

    // A project key cannot manage projects, read metrics or act as the admin; the admin key is no project key.
    expect((await fetch(`${api.url}/v1/organization/projects`, { headers: { authorization: `Bearer ${secret}` } })).status).toBe(401);
    expect((await failure(adminClient(api, secret).admin.organization.projects.list())).status).toBe(401);
    expect((await fetch(`${api.url}/metrics`, { headers: { authorization: `Bearer ${secret}` } })).status).toBe(403);
    expect((await failure(projectClient(api, ADMIN_KEY).beta.assistants.list())).status).toBe(401);

    // Deleting the key takes effect on the next request.
    expect(await admin.admin.organization.projects.apiKeys.delete(account.api_key!.id, { project_id: project.id })).toEqual({ id: account.api_key!.id, object: 'organization.project.api_key.deleted', deleted: true });
    expect((await failure(alpha.beta.assistants.list())).status).toBe(401);
    // …and the server stays keyed with no key left.
    expect((await failure(open.beta.assistants.list())).status).toBe(401);

    // A service account's key goes with it.
    const second = await admin.admin.organization.projects.serviceAccounts.create(project.id, { name: 'two' });
    const two = projectClient(api, second.api_key!.value);
    expect((await two.beta.assistants.list()).data.map((a) => a.id)).toEqual([mine.id]);
    expect(await admin.admin.organization.projects.serviceAccounts.delete(second.id, { project_id: project.id })).toEqual({ id: second.id, object: 'organization.project.service_account.deleted', deleted: true });
    expect((await failure(two.beta.assistants.list())).status).toBe(401);
    expect((await admin.admin.organization.projects.apiKeys.list(project.id)).data).toEqual([]);
  });

  it("an archived project's keys stop working and it leaves the list; the default project cannot be archived; bad input is a 4xx", { timeout: 60_000 }, async () => {
    const admin = adminClient(api, ADMIN_KEY);
    const { projectId, key } = await newProjectKey(admin, 'to-archive');
    const client = projectClient(api, key);
    await client.beta.assistants.list();
    const archived = await admin.admin.organization.projects.archive(projectId);
    expect(archived).toMatchObject({ id: projectId, status: 'archived', archived_at: expect.any(Number) });
    expect((await failure(client.beta.assistants.list())).status).toBe(401);
    expect((await admin.admin.organization.projects.list()).data.map((p) => p.id)).not.toContain(projectId);
    expect((await admin.admin.organization.projects.list({ include_archived: true } as never)).data.map((p) => p.id)).toContain(projectId);
    expect((await failure(admin.admin.organization.projects.serviceAccounts.create(projectId, { name: 'late' }))).status).toBe(400);

    expect((await failure(admin.admin.organization.projects.archive('proj_default'))).status).toBe(400);
    const missing = await failure(admin.admin.organization.projects.retrieve('proj_missing'));
    expect(missing.status).toBe(404);
    expect(missing.error).toMatchObject({ message: "No project found with id 'proj_missing'." });
    expect((await failure(admin.admin.organization.projects.create({ name: '' }))).status).toBe(400);
    expect((await failure(admin.admin.organization.projects.create({ name: 'x', color: 'red' } as never))).status).toBe(400);
    expect((await failure(admin.admin.organization.projects.apiKeys.retrieve('key_missing', { project_id: 'proj_default' }))).status).toBe(404);
    expect((await failure(adminClient(api, 'sk-admin-wrong').admin.organization.projects.list())).status).toBe(401);
  });

  it('without ADMIN_API_KEY the first start makes an admin key and prints it once; a restart keeps it and prints nothing', { timeout: 180_000 }, async () => {
    const first = await ownApi();
    try {
      const printed = /"admin_key":"(sk-admin-[\w-]+)"/.exec(first.output())?.[1] ?? '';
      expect(printed).toMatch(/^sk-admin-/);
      const project = await adminClient(first, printed).admin.organization.projects.create({ name: 'made with the printed key' });
      await first.stop();
      const again = await ownApi({}, first.own);
      try {
        expect(again.output()).not.toContain('admin_key');
        expect(await adminClient(again, printed).admin.organization.projects.retrieve(project.id)).toMatchObject({ name: 'made with the printed key' });
      } finally {
        await again.stop(true);
      }
    } finally {
      await first.stop(true);
    }
  });
});

/** One request of the walk, and what it must answer for an id of another project (as for a missing one). */
interface Probe {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  body?: unknown;
}

describe('isolation', () => {

  it('project B sees, changes and learns nothing of project A through any endpoint, list, stream, include[], file content or search', { timeout: 240_000 }, async () => {
    const admin = adminClient(api, ADMIN_KEY);
    const a = projectClient(api, (await newProjectKey(admin, 'A')).key);
    const bKey = (await newProjectKey(admin, 'B')).key;
    const b = projectClient(api, bKey);
    const model = uniqueModel('tenancy');
    await llm().script(model, [{ text: 'the answer for A' }]);

    // A's objects: each kind, with what it holds.
    const file = await a.files.create({ file: await toFile(Buffer.from('The vault code of project A is 7731.'), 'secret.txt'), purpose: 'assistants' });
    const store = await a.vectorStores.create({ name: 'A store' });
    const batch = await a.vectorStores.fileBatches.createAndPoll(store.id, { file_ids: [file.id] }, { pollIntervalMs: 200 });
    expect(batch.file_counts.completed).toBe(1);
    const assistant = await a.beta.assistants.create({ model, name: 'A assistant', tool_resources: { file_search: { vector_store_ids: [store.id] } } });
    const thread = await a.beta.threads.create({ messages: [{ role: 'user', content: 'hello from A' }] });
    const [message] = (await a.beta.threads.messages.list(thread.id)).data;
    const run = await waitForRun(a, thread.id, (await a.beta.threads.runs.create(thread.id, { assistant_id: assistant.id })).id, settled);
    expect(run.status).toBe('completed');
    const [step] = (await a.beta.threads.runs.steps.list(run.id, { thread_id: thread.id })).data;
    await llm().script(model, [{ text: 'a response for A' }]);
    const response = await a.responses.create({ model, input: 'respond for A' });
    const conversation = await a.conversations.create({ items: [{ type: 'message', role: 'user', content: 'conversation of A' }] });
    const [item] = (await a.conversations.items.list(conversation.id)).data;

    // A's view of all of it, to compare after B's walk.
    const snapshot = async () => ({
      assistant: await a.beta.assistants.retrieve(assistant.id),
      thread: await a.beta.threads.retrieve(thread.id),
      messages: (await a.beta.threads.messages.list(thread.id)).data,
      run: await a.beta.threads.runs.retrieve(run.id, { thread_id: thread.id }),
      steps: (await a.beta.threads.runs.steps.list(run.id, { thread_id: thread.id })).data,
      file: await a.files.retrieve(file.id),
      content: await (await a.files.content(file.id)).text(),
      store: await a.vectorStores.retrieve(store.id),
      storeFiles: (await a.vectorStores.files.list(store.id)).data,
      response: await a.responses.retrieve(response.id),
      conversation: await a.conversations.retrieve(conversation.id),
      items: (await a.conversations.items.list(conversation.id)).data,
    });
    const before = await snapshot();

    const ids: Record<string, string> = {
      asst: assistant.id, thread: thread.id, msg: message!.id, run: run.id, step: step!.id, file: file.id, vs: store.id, vsfb: batch.id,
      resp: response.id, conv: conversation.id, item: item!.id!,
    };
    const kinds: Record<string, IdKind> = { asst: 'assistant', thread: 'thread', msg: 'message', run: 'run', step: 'step', file: 'file', vs: 'vectorStore', vsfb: 'fileBatch', resp: 'response', item: 'message' };
    // Ids of the same shapes that name nothing at all.
    const missing = Object.fromEntries(Object.keys(ids).map((k) => [k, k === 'conv' ? `conv_${newId('thread').slice('thread_'.length)}` : newId(kinds[k]!)]));
    const fill = (text: string, with_: Record<string, string>) => text.replace(/\{(\w+)\}/g, (_, k: string) => with_[k]!);

    const probes: Probe[] = [
      { method: 'GET', path: '/assistants/{asst}' },
      { method: 'POST', path: '/assistants/{asst}', body: { name: 'taken by B' } },
      { method: 'DELETE', path: '/assistants/{asst}' },
      { method: 'GET', path: '/threads/{thread}' },
      { method: 'POST', path: '/threads/{thread}', body: { metadata: { by: 'B' } } },
      { method: 'DELETE', path: '/threads/{thread}' },
      { method: 'GET', path: '/threads/{thread}/messages' },
      { method: 'POST', path: '/threads/{thread}/messages', body: { role: 'user', content: 'B writes' } },
      { method: 'GET', path: '/threads/{thread}/messages/{msg}' },
      { method: 'POST', path: '/threads/{thread}/messages/{msg}', body: { metadata: { by: 'B' } } },
      { method: 'DELETE', path: '/threads/{thread}/messages/{msg}' },
      { method: 'GET', path: '/threads/{thread}/runs' },
      { method: 'POST', path: '/threads/{thread}/runs', body: { assistant_id: '{asst}' } },
      { method: 'POST', path: '/threads/{thread}/runs', body: { assistant_id: '{asst}', stream: true } },
      { method: 'GET', path: '/threads/{thread}/runs/{run}' },
      { method: 'POST', path: '/threads/{thread}/runs/{run}', body: { metadata: { by: 'B' } } },
      { method: 'POST', path: '/threads/{thread}/runs/{run}/cancel' },
      { method: 'POST', path: '/threads/{thread}/runs/{run}/submit_tool_outputs', body: { tool_outputs: [{ tool_call_id: 'call_x', output: 'B' }] } },
      { method: 'GET', path: '/threads/{thread}/runs/{run}/steps?include[]=step_details.tool_calls[*].file_search.results[*].content' },
      { method: 'GET', path: '/threads/{thread}/runs/{run}/steps/{step}?include[]=step_details.tool_calls[*].file_search.results[*].content' },
      { method: 'GET', path: '/files/{file}' },
      { method: 'GET', path: '/files/{file}/content' },
      { method: 'DELETE', path: '/files/{file}' },
      { method: 'GET', path: '/vector_stores/{vs}' },
      { method: 'POST', path: '/vector_stores/{vs}', body: { name: 'taken by B' } },
      { method: 'DELETE', path: '/vector_stores/{vs}' },
      { method: 'POST', path: '/vector_stores/{vs}/search', body: { query: 'vault code' } },
      { method: 'GET', path: '/vector_stores/{vs}/files' },
      { method: 'POST', path: '/vector_stores/{vs}/files', body: { file_id: '{file}' } },
      { method: 'GET', path: '/vector_stores/{vs}/files/{file}' },
      { method: 'POST', path: '/vector_stores/{vs}/files/{file}', body: { attributes: { by: 'B' } } },
      { method: 'GET', path: '/vector_stores/{vs}/files/{file}/content' },
      { method: 'DELETE', path: '/vector_stores/{vs}/files/{file}' },
      { method: 'POST', path: '/vector_stores/{vs}/file_batches', body: { file_ids: ['{file}'] } },
      { method: 'GET', path: '/vector_stores/{vs}/file_batches/{vsfb}' },
      { method: 'POST', path: '/vector_stores/{vs}/file_batches/{vsfb}/cancel' },
      { method: 'GET', path: '/vector_stores/{vs}/file_batches/{vsfb}/files' },
      { method: 'GET', path: '/responses/{resp}' },
      { method: 'GET', path: '/responses/{resp}?stream=true' },
      { method: 'POST', path: '/responses/{resp}/cancel' },
      { method: 'DELETE', path: '/responses/{resp}' },
      { method: 'GET', path: '/responses/{resp}/input_items' },
      { method: 'GET', path: '/conversations/{conv}' },
      { method: 'POST', path: '/conversations/{conv}', body: { metadata: { by: 'B' } } },
      { method: 'DELETE', path: '/conversations/{conv}' },
      { method: 'GET', path: '/conversations/{conv}/items' },
      { method: 'POST', path: '/conversations/{conv}/items', body: { items: [{ type: 'message', role: 'user', content: 'B writes' }] } },
      { method: 'GET', path: '/conversations/{conv}/items/{item}' },
      { method: 'DELETE', path: '/conversations/{conv}/items/{item}' },
      // A's objects named inside B's requests.
      { method: 'POST', path: '/threads/runs', body: { assistant_id: '{asst}' } },
      { method: 'POST', path: '/assistants', body: { model, tool_resources: { file_search: { vector_store_ids: ['{vs}'] } } } },
      { method: 'POST', path: '/threads', body: { tool_resources: { file_search: { vector_store_ids: ['{vs}'] } } } },
      { method: 'POST', path: '/threads', body: { messages: [{ role: 'user', content: 'x', attachments: [{ file_id: '{file}', tools: [{ type: 'file_search' }] }] }] } },
      { method: 'POST', path: '/vector_stores', body: { file_ids: ['{file}'] } },
      { method: 'POST', path: '/responses', body: { model, input: 'x', previous_response_id: '{resp}' } },
      { method: 'POST', path: '/responses', body: { model, input: 'x', conversation: '{conv}' } },
      { method: 'POST', path: '/responses', body: { model, input: 'x', tools: [{ type: 'file_search', vector_store_ids: ['{vs}'] }] } },
      { method: 'POST', path: '/responses', body: { model, input: 'x', tools: [{ type: 'code_interpreter', container: { type: 'auto', file_ids: ['{file}'] } }] } },
      { method: 'POST', path: '/responses/input_tokens', body: { model, input: 'x', previous_response_id: '{resp}' } },
      { method: 'POST', path: '/responses/input_tokens', body: { model, input: 'x', conversation: '{conv}' } },
    ];
    // B's own store and thread, for the requests that name A's objects inside B's.
    const bStore = await b.vectorStores.create({ name: 'B store' });
    const bThread = await b.beta.threads.create();
    probes.push(
      { method: 'POST', path: `/vector_stores/${bStore.id}/files`, body: { file_id: '{file}' } },
      { method: 'POST', path: `/vector_stores/${bStore.id}/file_batches`, body: { file_ids: ['{file}'] } },
      { method: 'POST', path: `/threads/${bThread.id}/runs`, body: { assistant_id: '{asst}' } },
      { method: 'POST', path: `/threads/${bThread.id}/messages`, body: { role: 'user', content: 'x', attachments: [{ file_id: '{file}', tools: [{ type: 'file_search' }] }] } },
    );

    const asB = async (probe: Probe, with_: Record<string, string>) => {
      const res = await fetch(`${api.url}/v1${fill(probe.path, with_)}`, {
        method: probe.method,
        headers: { authorization: `Bearer ${bKey}`, 'content-type': 'application/json' },
        body: probe.body === undefined ? undefined : fill(JSON.stringify(probe.body), with_),
      });
      // With every id in the answer put back to its placeholder, A's and missing ones compare.
      let text = await res.text();
      for (const [k, v] of Object.entries(with_)) text = text.replaceAll(v, `{${k}}`);
      return { status: res.status, text };
    };
    for (const probe of probes) {
      const label = `${probe.method} ${probe.path} ${JSON.stringify(probe.body ?? '')}`;
      const [onA, onMissing] = [await asB(probe, ids), await asB(probe, missing)];
      expect(onA.status, label).toBeGreaterThanOrEqual(400);
      expect(onA.status, label).toBeLessThan(500);
      expect(onA, label).toEqual(onMissing);
      expect(onA.text, label).not.toMatch(/7731|hello from A|the answer for A|A assistant|A store|secret\.txt/);
    }

    // B's lists hold none of A's objects.
    expect((await b.beta.assistants.list()).data).toEqual([]);
    expect((await b.files.list()).data).toEqual([]);
    expect((await b.vectorStores.list()).data.map((s) => s.id)).toEqual([bStore.id]);
    // A sees all of its own unchanged, and none of B's.
    expect(await snapshot()).toEqual(before);
    expect((await a.vectorStores.list()).data.map((s) => s.id)).toEqual([store.id]);
    // The run's workflow and the file's object carry the project.
    const [row] = await sql<{ project_id: string; object_key: string }>('SELECT f.project_id, f.object_key FROM files f WHERE id = $1', [file.id], api.own.DATABASE_URL);
    expect(row!.object_key).toBe(`projects/${row!.project_id}/files/${file.id}`);
    const [runRow] = await sql<{ project_id: string }>('SELECT project_id FROM runs WHERE id = $1', [run.id], api.own.DATABASE_URL);
    expect(runRow!.project_id).toBe(row!.project_id);
    const connection = await Connection.connect({ address: inject('serviceEnv').TEMPORAL_ADDRESS! });
    try {
      const temporal = new TemporalClient({ connection });
      for (const workflowId of [run.id, response.id]) {
        const described = await temporal.workflow.getHandle(workflowId).describe();
        expect(described.typedSearchAttributes.get({ name: 'ProjectId', type: 'KEYWORD' }), workflowId).toBe(row!.project_id);
      }
    } finally {
      await connection.close();
    }
  });
});
