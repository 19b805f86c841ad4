/**
 * The Responses API through the official SDK on the real stack: every response is a workflow
 * on the turn engine (workflows/response.ts), its events numbered and, in background, stored.
 */
import { describe, expect, it } from 'vitest';
import { client, failure, llm, uniqueModel } from './support/client.js';
import { eventTypes, recordStream } from './support/response-streams.js';

const openai = client();

async function scripted(replies: Parameters<ReturnType<typeof llm>['script']>[1]) {
  const model = uniqueModel('resp');
  await llm().script(model, replies);
  return model;
}

const weather = { type: 'function' as const, name: 'get_weather', description: 'Weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }, strict: true };

describe('responses.create', () => {
  it('answers a string input with a completed response: output message, output_text, usage, ids', async () => {
    const model = await scripted([{ text: 'Hello there!' }]);
    const r = await openai.responses.create({ model, input: 'Hi', instructions: 'Be brief.', metadata: { k: 'v' }, temperature: 0.5, top_p: 0.9, max_output_tokens: 100, user: 'u1', prompt_cache_key: 'pk' });
    expect(r).toMatchObject({ object: 'response', status: 'completed', model, instructions: 'Be brief.', metadata: { k: 'v' }, temperature: 0.5, top_p: 0.9, max_output_tokens: 100, user: 'u1', prompt_cache_key: 'pk', store: true, background: false });
    expect(r.id).toMatch(/^resp_/);
    expect(r.output).toHaveLength(1);
    expect(r.output[0]).toMatchObject({ type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Hello there!', annotations: [] }] });
    expect(r.output[0]!.id).toMatch(/^msg_/);
    expect(r.output_text).toBe('Hello there!');
    expect(r.usage!.output_tokens).toBeGreaterThan(0);
    expect(r.usage!.total_tokens).toBe(r.usage!.input_tokens + r.usage!.output_tokens);
    const [sent] = await llm().requests(model);
    expect(sent.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
    ]);
    expect(sent).toMatchObject({ temperature: 0.5, top_p: 0.9, max_tokens: 100 });
    expect(await openai.responses.retrieve(r.id)).toMatchObject({ id: r.id, status: 'completed', output_text: 'Hello there!' });
  });

  it('chains with previous_response_id: the model sees the earlier turn', async () => {
    const model = await scripted([{ text: 'Paris.' }, { text: 'About 2 million.' }]);
    const first = await openai.responses.create({ model, input: 'Capital of France?' });
    const second = await openai.responses.create({ model, input: 'Population?', previous_response_id: first.id });
    expect(second).toMatchObject({ previous_response_id: first.id, output_text: 'About 2 million.' });
    const sent = (await llm().requests(model))[1];
    expect(sent.messages).toEqual([
      { role: 'user', content: 'Capital of France?' },
      { role: 'assistant', content: 'Paris.' },
      { role: 'user', content: 'Population?' },
    ]);
    const items = await openai.responses.inputItems.list(second.id);
    expect(items.data.map((i) => i.type)).toEqual(['message']);
    expect(items.data[0]).toMatchObject({ role: 'user', content: [{ type: 'input_text', text: 'Population?' }] });
  });

  it('a function-calling loop: function_call items end the response, function_call_output continues it', async () => {
    const model = await scripted([{ toolCalls: [{ name: 'get_weather', arguments: { city: 'Paris' } }] }, { text: 'It is 18°C in Paris.' }]);
    const first = await openai.responses.create({ model, input: 'Weather in Paris?', tools: [weather], tool_choice: 'auto', parallel_tool_calls: false });
    expect(first.status).toBe('completed');
    const call = first.output[0]!;
    expect(call).toMatchObject({ type: 'function_call', name: 'get_weather', arguments: '{"city":"Paris"}', status: 'completed' });
    if (call.type !== 'function_call') throw new Error('expected a function call');
    expect(call.id).toMatch(/^fc_/);
    expect(first.tools[0]).toMatchObject({ type: 'function', name: 'get_weather', strict: true });
    const [offered] = await llm().requests(model);
    expect(offered.tools[0].function).toMatchObject({ name: 'get_weather', parameters: weather.parameters });
    expect(offered.parallel_tool_calls).toBe(false);

    const second = await openai.responses.create({
      model,
      previous_response_id: first.id,
      input: [{ type: 'function_call_output', call_id: call.call_id, output: '{"temp":18}' }],
      tools: [weather],
    });
    expect(second.output_text).toBe('It is 18°C in Paris.');
    const sent = (await llm().requests(model))[1];
    expect(sent.messages.slice(-2)).toEqual([
      { role: 'assistant', content: null, tool_calls: [{ id: call.call_id, type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: call.call_id, content: '{"temp":18}' },
    ]);
  });

  it('max_output_tokens reached: incomplete with incomplete_details', async () => {
    const model = await scripted([{ text: 'A long answer cut', finishReason: 'length' }]);
    const r = await openai.responses.create({ model, input: 'Tell me everything', max_output_tokens: 16 });
    expect(r).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
    expect(r.output[0]).toMatchObject({ status: 'incomplete' });
  });

  it('text.format json_schema goes to the model as its response_format', async () => {
    const model = await scripted([{ text: '{"a":1}' }]);
    const schema = { type: 'object', properties: { a: { type: 'number' } }, required: ['a'], additionalProperties: false };
    const r = await openai.responses.create({ model, input: 'json', text: { format: { type: 'json_schema', name: 'obj', schema, strict: true } } });
    expect(r.text).toMatchObject({ format: { type: 'json_schema', name: 'obj', strict: true } });
    const [sent] = await llm().requests(model);
    expect(sent.response_format).toMatchObject({ type: 'json_schema', json_schema: { name: 'obj', schema, strict: true } });
  });

  it('store: false keeps nothing after the answer', async () => {
    const model = await scripted([{ text: 'ephemeral' }]);
    const r = await openai.responses.create({ model, input: 'x', store: false });
    expect(r).toMatchObject({ status: 'completed', store: false, output_text: 'ephemeral' });
    expect((await failure(openai.responses.retrieve(r.id))).status).toBe(404);
  });

  it('delete, then 404', async () => {
    const model = await scripted([{ text: 'bye' }]);
    const r = await openai.responses.create({ model, input: 'x' });
    expect(await openai.responses.delete(r.id)).toEqual({ id: r.id, object: 'response', deleted: true });
    const gone = await failure(openai.responses.retrieve(r.id));
    expect(gone.status).toBe(404);
    expect(gone.error).toMatchObject({ message: `No response found with id '${r.id}'.` });
  });

  it('input_tokens counts an estimate of the input', async () => {
    const counted = await openai.responses.inputTokens.count({ model: 'm', input: 'a'.repeat(40), instructions: 'b'.repeat(8) });
    expect(counted).toEqual({ object: 'response.input_tokens', input_tokens: 12 });
  });
});

describe('streaming', () => {
  it('responses.stream(): OpenAI event order and sequence numbers, finalResponse()', async () => {
    const model = await scripted([{ text: 'Streaming works fine.', chunkSize: 5 }]);
    const stream = openai.responses.stream({ model, input: 'stream please' });
    let text = '';
    stream.on('response.output_text.delta', (e) => (text += e.delta));
    const { events, final } = await recordStream(stream);
    expect(final).toMatchObject({ status: 'completed', output_text: 'Streaming works fine.' });
    expect(text).toBe('Streaming works fine.');
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    expect(eventTypes(events)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
  });

  it('streams function call arguments', async () => {
    const model = await scripted([{ toolCalls: [{ name: 'get_weather', arguments: { city: 'Rome' } }], chunkSize: 3 }]);
    const stream = openai.responses.stream({ model, input: 'Weather in Rome?', tools: [weather] });
    let args = '';
    stream.on('response.function_call_arguments.delta', (e) => (args += e.delta));
    const done = new Promise<string>((resolve) => stream.on('response.function_call_arguments.done', (e) => resolve(e.arguments)));
    const final = await stream.finalResponse();
    expect(args).toBe('{"city":"Rome"}');
    expect(await done).toBe('{"city":"Rome"}');
    expect(final.output[0]).toMatchObject({ type: 'function_call', arguments: '{"city":"Rome"}', status: 'completed' });
  });
});

describe('background', () => {
  it('queued at once, then completed; its stream resumes from any sequence number', async () => {
    const model = await scripted([{ text: 'background answer here', chunkSize: 4, delayMs: 20 }]);
    const r = await openai.responses.create({ model, input: 'bg', background: true });
    expect(r).toMatchObject({ status: 'queued', background: true });
    let done = await openai.responses.retrieve(r.id);
    while (done.status === 'queued' || done.status === 'in_progress') {
      await new Promise((res) => setTimeout(res, 100));
      done = await openai.responses.retrieve(r.id);
    }
    expect(done).toMatchObject({ status: 'completed', output_text: 'background answer here' });
    const all: { sequence_number: number; type: string }[] = [];
    for await (const e of await openai.responses.retrieve(r.id, { stream: true, starting_after: -1 } as never) as unknown as AsyncIterable<{ sequence_number: number; type: string }>) all.push(e);
    expect(all[0]!.type).toBe('response.created');
    expect(all.at(-1)!.type).toBe('response.completed');
    const resumed: number[] = [];
    for await (const e of await openai.responses.retrieve(r.id, { stream: true, starting_after: 3 } as never) as unknown as AsyncIterable<{ sequence_number: number }>) resumed.push(e.sequence_number);
    expect(resumed).toEqual(all.slice(4).map((e) => e.sequence_number));
  });

  it('cancel stops a background response mid-answer', async () => {
    const model = await scripted([{ hang: true }]);
    const r = await openai.responses.create({ model, input: 'never ends', background: true });
    const deadline = Date.now() + 10_000;
    while ((await llm().requests(model)).length === 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 100));
    const cancelled = await openai.responses.cancel(r.id);
    expect(cancelled.status).toBe('cancelled');
    expect((await openai.responses.retrieve(r.id)).status).toBe('cancelled');
  });
});

describe('bad input', () => {
  it('is refused with OpenAI-shaped 400s naming the parameter, nothing written', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ input: 'x' }, 'model'],
      [{ model: 'm', input: 'x', temperature: 3 }, 'temperature'],
      [{ model: 'm', input: 'x', bogus: 1 }, 'bogus'],
      [{ model: 'm', input: 'x', tools: [{ type: 'file_search' }] }, 'tools[0].vector_store_ids'],
      [{ model: 'm', input: 'x', tools: [{ type: 'code_interpreter', container: 'cntr_1' }] }, 'tools[0].container'],
      [{ model: 'm', input: 'x', truncation: 'sometimes' }, 'truncation'],
      [{ model: 'm', input: 'x', background: true, store: false }, 'background'],
      [{ model: 'm', input: 'x', previous_response_id: 'abc' }, 'previous_response_id'],
      [{ model: 'm', input: 'x', max_output_tokens: 2 }, 'max_output_tokens'],
    ];
    for (const [body, param] of cases) {
      const err = await failure(openai.responses.create(body as never));
      expect(err.status, param).toBe(400);
      expect((err.error as { param: string }).param).toBe(param);
    }
    const missing = await failure(openai.responses.create({ model: 'm', input: 'x', previous_response_id: 'resp_missing' }));
    expect(missing.status).toBe(404);
    expect(missing.error).toMatchObject({ message: "No response found with id 'resp_missing'." });
    expect((await failure(openai.responses.cancel('resp_missing'))).status).toBe(404);
  });
});
