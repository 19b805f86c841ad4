/**
 * What the SDKs send is accepted and applied, and what OpenAI refuses is refused: top-level
 * `tool_resources` on createAndRun, `reasoning_effort` (stored, echoed, inherited, passed to the
 * model), `tool_choice` naming a missing function, empty `file_search` resources, an empty image
 * URL, `max_prompt_tokens` (auto truncation and `incomplete`), and v1 clients' fields.
 */
import { describe, expect, inject, it } from 'vitest';
import { client, failure, llm, uniqueModel } from './support/client.js';
import { weatherTool } from './support/runs.js';

const openai = client();
/** The SDK's helpers poll every 5 s by default. */
const fast = { pollIntervalMs: 100 };

describe('accepted and applied', () => {
  it('stores top-level tool_resources of createAndRun on the new thread', async () => {
    const model = uniqueModel('resources');
    await llm().script(model, [{ text: 'ok' }]);
    const assistant = await openai.beta.assistants.create({ model });
    const run = await openai.beta.threads.createAndRunPoll({
      assistant_id: assistant.id,
      thread: { messages: [{ role: 'user', content: 'hi' }] },
      tool_resources: { code_interpreter: { file_ids: ['file-abc'] } },
    }, fast);
    expect(run.status).toBe('completed');
    const thread = await openai.beta.threads.retrieve(run.thread_id);
    expect(thread.tool_resources).toEqual({ code_interpreter: { file_ids: ['file-abc'] } });
  });

  it('stores and echoes reasoning_effort; a run inherits it unless overridden, and the model gets it', async () => {
    const model = uniqueModel('reasoning');
    await llm().script(model, [{ text: 'one' }, { text: 'two' }, { text: 'three' }]);
    const assistant = await openai.beta.assistants.create({ model, reasoning_effort: 'low' });
    expect(assistant).toMatchObject({ reasoning_effort: 'low' });
    expect(await openai.beta.assistants.retrieve(assistant.id)).toMatchObject({ reasoning_effort: 'low' });

    const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: 'think' }] });
    const inherited = await openai.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, fast);
    expect(inherited).toMatchObject({ status: 'completed', reasoning_effort: 'low' });
    const overridden = await openai.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id, reasoning_effort: 'high' }, fast);
    expect(overridden).toMatchObject({ status: 'completed', reasoning_effort: 'high' });

    const cleared = await openai.beta.assistants.update(assistant.id, { reasoning_effort: null });
    expect(cleared).toMatchObject({ reasoning_effort: null });
    const none = await openai.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id, reasoning_effort: null }, fast);
    expect(none).toMatchObject({ status: 'completed', reasoning_effort: null });

    const sent = (await llm().requests(model)).map((r) => r.reasoning_effort);
    expect(sent).toEqual(['low', 'high', undefined]);
  });

  it("refuses a tool_choice naming a function that is not among the run's tools", async () => {
    const assistant = await openai.beta.assistants.create({ model: uniqueModel(), tools: [weatherTool] });
    const thread = await openai.beta.threads.create();
    const err = await failure(
      openai.beta.threads.runs.create(thread.id, { assistant_id: assistant.id, tool_choice: { type: 'function', function: { name: 'missing' } } }),
    );
    expect(err.status).toBe(400);
    expect(err.error).toMatchObject({ param: 'tool_choice', code: 'invalid_value' });
    expect((err.error as { message: string }).message).toContain("'missing'");
    expect((await openai.beta.threads.runs.list(thread.id)).data).toHaveLength(0);
  });

  it('refuses an empty file_search resource and an empty image URL', async () => {
    const fs = await failure(openai.beta.assistants.create({ model: 'm', tool_resources: { file_search: {} } }));
    expect(fs.status).toBe(400);
    expect(fs.error).toMatchObject({ param: 'tool_resources.file_search' });
    const thread = await openai.beta.threads.create();
    const image = await failure(openai.beta.threads.messages.create(thread.id, { role: 'user', content: [{ type: 'image_url', image_url: { url: '' } }] }));
    expect(image.status).toBe(400);
    expect(image.error).toMatchObject({ param: 'content[0].image_url.url' });
  });
});

describe('max_prompt_tokens', () => {
  const long = (i: number) => `Message ${i}: ${'lorem ipsum dolor sit amet '.repeat(20)}`;

  it('with truncation auto, drops the oldest messages so the prompt fits', async () => {
    const model = uniqueModel('budget');
    await llm().script(model, [{ text: 'fits' }]);
    const assistant = await openai.beta.assistants.create({ model, instructions: 'Be brief.' });
    const thread = await openai.beta.threads.create({ messages: [1, 2, 3, 4, 5].map((i) => ({ role: 'user' as const, content: long(i) })) });
    const run = await openai.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id, max_prompt_tokens: 400 }, fast);
    expect(run).toMatchObject({ status: 'completed', max_prompt_tokens: 400 });
    const [request] = await llm().requests(model);
    const contents = request.messages.map((m: { content: string }) => m.content);
    expect(contents[0]).toBe('Be brief.');
    expect(contents.at(-1)).toBe(long(5));
    expect(contents).not.toContain(long(1));
    expect(contents.length).toBeGreaterThan(1);
    expect(contents.length).toBeLessThan(6);
  });

  it('ends the run incomplete, without calling the model, when even the newest message cannot fit', async () => {
    const model = uniqueModel('too-long');
    const assistant = await openai.beta.assistants.create({ model });
    const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: long(1).repeat(3) }] });
    const run = await openai.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id, max_prompt_tokens: 256 }, fast);
    expect(run).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_prompt_tokens' } });
    expect(await llm().requests(model)).toHaveLength(0);

    const lastMessages = await openai.beta.threads.runs.createAndPoll(thread.id, {
      assistant_id: assistant.id,
      max_prompt_tokens: 256,
      truncation_strategy: { type: 'last_messages', last_messages: 1 },
    }, fast);
    expect(lastMessages).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_prompt_tokens' } });
  });
});

describe('Assistants v1 clients', () => {
  const v1 = async (path: string, body: unknown) => {
    const res = await fetch(inject('apiUrl') + path, {
      method: 'POST',
      headers: { authorization: 'Bearer EMPTY', 'openai-beta': 'assistants=v1', 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as { error: { message: string; param: string } } };
  };

  it('are told the v2 field to use for file_ids and the retrieval tool', async () => {
    const onAssistant = await v1('/assistants', { model: 'm', file_ids: ['file-1'] });
    expect(onAssistant.status).toBe(400);
    expect(onAssistant.body.error.param).toBe('file_ids');
    expect(onAssistant.body.error.message).toContain("'tool_resources'");

    const retrieval = await v1('/assistants', { model: 'm', tools: [{ type: 'retrieval' }] });
    expect(retrieval.body.error).toMatchObject({ param: 'tools[0].type' });
    expect(retrieval.body.error.message).toContain("'file_search'");

    const thread = await openai.beta.threads.create();
    const onMessage = await v1(`/threads/${thread.id}/messages`, { role: 'user', content: 'c', file_ids: ['file-1'] });
    expect(onMessage.body.error.param).toBe('file_ids');
    expect(onMessage.body.error.message).toContain("'attachments'");
    const inThread = await v1('/threads', { messages: [{ role: 'user', content: 'c', file_ids: ['file-1'] }] });
    expect(inThread.body.error.param).toBe('messages[0].file_ids');
    expect(inThread.body.error.message).toContain("'attachments'");

    // What v1 and v2 share still works under the v1 header.
    expect((await v1('/assistants', { model: 'm', name: 'v1 client' })).status).toBe(200);
  });
});
