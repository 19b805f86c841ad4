/**
 * code_interpreter in the Responses API through the official SDK: the scripted model calls the
 * tool, the worker runs the code in the response's container session (the same server tool and
 * sandbox as runs, test/code-interpreter.test.ts), and the model's next turn reads the outputs.
 */
import { toFile } from 'openai';
import type { Response, ResponseCodeInterpreterToolCall, ResponseOutputMessage } from 'openai/resources/responses/responses';
import { describe, expect, it } from 'vitest';
import { client, failure, llm, uniqueModel } from './support/client.js';
import { eventTypes, recordStream } from './support/response-streams.js';

const openai = client();
const CI = { type: 'code_interpreter' as const, container: { type: 'auto' as const } };

/** A model scripted to run each `code`, then answer (`Done.` unless told). */
async function scripted(codes: string[], answers: string[] = []) {
  const model = uniqueModel('rci');
  await llm().script(model, codes.flatMap((code, i) => [{ toolCalls: [{ name: 'code_interpreter', arguments: { code } }] }, { text: answers[i] ?? 'Done.' }]));
  return model;
}

const callOf = (r: Response) => r.output.find((i): i is ResponseCodeInterpreterToolCall => i.type === 'code_interpreter_call')!;
const messageOf = (r: Response) => r.output.find((i): i is ResponseOutputMessage => i.type === 'message')!;
const upload = async (name: string, content: string) => (await openai.files.create({ file: await toFile(Buffer.from(content), name), purpose: 'assistants' })).id;

async function settled(id: string): Promise<Response> {
  for (let r = await openai.responses.retrieve(id); ; r = await openai.responses.retrieve(id)) {
    if (r.status !== 'queued' && r.status !== 'in_progress') return r;
    await new Promise((res) => setTimeout(res, 100));
  }
}

describe('code_interpreter in a response', () => {
  it('runs the code and answers; outputs show only with include', async () => {
    const model = await scripted(['x = 6 * 7\nprint(x)'], ['The answer is 42.']);
    const r = await openai.responses.create({ model, input: 'What is 6 times 7?', tools: [CI] });
    expect(r.status).toBe('completed');
    expect(r.output.map((i) => i.type)).toEqual(['code_interpreter_call', 'message']);
    const call = callOf(r);
    expect(call).toEqual({ id: expect.stringMatching(/^ci_/), type: 'code_interpreter_call', status: 'completed', code: 'x = 6 * 7\nprint(x)', container_id: expect.stringMatching(/^cntr_/), outputs: null });
    expect(r.output_text).toBe('The answer is 42.');
    expect(r.tools).toEqual([CI]);
    // Two model calls, the second reading the outputs.
    const [first, second] = await llm().requests(model);
    expect(first.tools.map((t: { function: { name: string } }) => t.function.name)).toEqual(['code_interpreter']);
    expect(second.messages.slice(-2)).toEqual([
      { role: 'assistant', content: null, tool_calls: [{ id: call.id, type: 'function', function: { name: 'code_interpreter', arguments: JSON.stringify({ code: call.code }) } }] },
      { role: 'tool', tool_call_id: call.id, content: '42\n' },
    ]);
    // Usage is both turns': each turn's prompt is the scripted server's estimate of its messages.
    const promptOf = (req: { messages: unknown[] }) => Math.ceil(JSON.stringify(req.messages).length / 4);
    expect(r.usage!.input_tokens).toBe(promptOf(first) + promptOf(second));
    // Retrieved, the outputs show when asked for.
    expect(callOf(await openai.responses.retrieve(r.id)).outputs).toBeNull();
    expect(callOf(await openai.responses.retrieve(r.id, { include: ['code_interpreter_call.outputs'] })).outputs).toEqual([{ type: 'logs', logs: '42\n' }]);
  });

  it('with include: [code_interpreter_call.outputs] the response carries them', async () => {
    const model = await scripted(['print("hello")']);
    const r = await openai.responses.create({ model, input: 'greet', tools: [CI], include: ['code_interpreter_call.outputs'] });
    expect(callOf(r).outputs).toEqual([{ type: 'logs', logs: 'hello\n' }]);
  });

  it('streams in OpenAI order with sequence numbers; the SDK accumulates the same response', async () => {
    const code = 'for i in range(3):\n    print("line", i)';
    const model = await scripted([code], ['Three lines.']);
    const stream = openai.responses.stream({ model, input: 'print lines', tools: [CI], include: ['code_interpreter_call.outputs'] });
    const { events, final } = await recordStream(stream);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    expect(eventTypes(events)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.code_interpreter_call.in_progress',
      'response.code_interpreter_call_code.delta',
      'response.code_interpreter_call_code.done',
      'response.code_interpreter_call.interpreting',
      'response.code_interpreter_call.completed',
      'response.output_item.done',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const deltas = events.flatMap((e) => (e.type === 'response.code_interpreter_call_code.delta' ? [e.delta] : []));
    expect(deltas.join('')).toBe(code);
    const ci = events.filter((e) => e.type.startsWith('response.code_interpreter_call')) as { output_index: number; item_id: string }[];
    expect(new Set(ci.map((e) => `${e.output_index}:${e.item_id}`))).toEqual(new Set([`0:${callOf(final).id}`]));
    expect(final).toMatchObject({ status: 'completed', output_text: 'Three lines.' });
    expect(callOf(final)).toMatchObject({ status: 'completed', code, outputs: [{ type: 'logs', logs: 'line 0\nline 1\nline 2\n' }] });
    // (The SDK's accumulated message also carries `parsed`, its own field.)
    const accumulated = JSON.parse(JSON.stringify(final.output, (k, v) => (k === 'parsed' ? undefined : v)));
    expect((await openai.responses.retrieve(final.id, { include: ['code_interpreter_call.outputs'] })).output).toEqual(accumulated);
  });

  it('reads the container file_ids under /mnt/data by their names, and the model is told where they are', async () => {
    const csv = await upload('sales.csv', 'region,amount\nnorth,10\nsouth,32\nnorth,5\n');
    const model = await scripted(['import pandas as pd\nprint(pd.read_csv("/mnt/data/sales.csv").groupby("region").amount.sum().to_dict())']);
    const r = await openai.responses.create({ model, input: 'totals?', instructions: 'Be exact.', tools: [{ type: 'code_interpreter', container: { type: 'auto', file_ids: [csv] } }], include: ['code_interpreter_call.outputs'] });
    expect(callOf(r).outputs).toEqual([{ type: 'logs', logs: "{'north': 15, 'south': 32}\n" }]);
    expect((await llm().requests(model))[0].messages[0]).toEqual({ role: 'system', content: 'Be exact.\n\nFiles for code_interpreter, read-only in /mnt/data: /mnt/data/sales.csv' });
  });

  it('a figure is an image output (a PNG data URL); a written file is a File cited with container_file_citation', async () => {
    const code = [
      'import matplotlib.pyplot as plt',
      'plt.plot([1, 2, 3], [1, 4, 9])',
      'with open("/mnt/data/squares.csv", "w") as f:',
      '    f.write("n\\n1\\n4\\n9\\n")',
    ].join('\n');
    const answer = 'Plotted; download [squares.csv](sandbox:/mnt/data/squares.csv). Not ours: sandbox:/mnt/data/other.csv';
    const model = await scripted([code], [answer]);
    const stream = openai.responses.stream({ model, input: 'plot squares', tools: [CI], include: ['code_interpreter_call.outputs'] });
    const added: unknown[] = [];
    stream.on('response.output_text.annotation.added', (e) => added.push(e.annotation));
    const r = await stream.finalResponse();
    const call = callOf(r);
    expect(call.outputs).toEqual([{ type: 'image', url: expect.stringMatching(/^data:image\/png;base64,/) }]);
    const png = Buffer.from((call.outputs![0] as { url: string }).url.split(',')[1]!, 'base64');
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(png.readUInt32BE(16)).toBe(640);
    const [part] = messageOf(r).content;
    const start = answer.indexOf('sandbox:/mnt/data/squares.csv');
    const citation = { type: 'container_file_citation', container_id: call.container_id, file_id: expect.stringMatching(/^file-/), filename: 'squares.csv', start_index: start, end_index: start + 29 };
    expect(part).toMatchObject({ type: 'output_text', text: answer, annotations: [citation] });
    expect(added).toEqual([citation]);
    const fileId = (part as { annotations: { file_id: string }[] }).annotations[0]!.file_id;
    expect(await openai.files.retrieve(fileId)).toMatchObject({ purpose: 'assistants_output', filename: 'squares.csv' });
    expect(await (await openai.files.content(fileId)).text()).toBe('n\n1\n4\n9\n');
  });

  it('an exception is output the model reads and answers, and the response completes', async () => {
    const model = await scripted(['{}["missing"]'], ['The key is missing.']);
    const r = await openai.responses.create({ model, input: 'look it up', tools: [CI], include: ['code_interpreter_call.outputs'] });
    expect(r).toMatchObject({ status: 'completed', output_text: 'The key is missing.' });
    const logs = (callOf(r).outputs![0] as { logs: string }).logs;
    expect(logs).toMatch(/^Traceback \(most recent call last\):\n[\s\S]*KeyError: 'missing'\n$/);
    expect((await llm().requests(model))[1].messages.at(-1)).toEqual({ role: 'tool', tool_call_id: callOf(r).id, content: logs });
  });

  it('a previous_response_id chain keeps its container: variables live on', async () => {
    const model = await scripted(['x = 5', 'print(x * 2)']);
    const first = await openai.responses.create({ model, input: 'set x', tools: [CI] });
    const second = await openai.responses.create({ model, input: 'double it', previous_response_id: first.id, tools: [CI], include: ['code_interpreter_call.outputs'] });
    expect(callOf(second).container_id).toBe(callOf(first).container_id);
    expect(callOf(second).outputs).toEqual([{ type: 'logs', logs: '10\n' }]);
    // The second response's model sees the first one's call and its output.
    const sent = (await llm().requests(model))[2].messages;
    expect(sent.filter((m: { role: string }) => m.role === 'tool').map((m: { content: string }) => m.content)).toEqual(['(no output)']);
  });

  it('a conversation keeps one container, and lists the call as an item', async () => {
    const model = await scripted(['y = 3', 'print(y + 1)']);
    const conv = await openai.conversations.create();
    const first = await openai.responses.create({ model, input: 'set y', conversation: conv.id, tools: [CI] });
    const second = await openai.responses.create({ model, input: 'y plus one', conversation: conv.id, tools: [CI], include: ['code_interpreter_call.outputs'] });
    expect(callOf(second).container_id).toBe(callOf(first).container_id);
    expect(callOf(second).outputs).toEqual([{ type: 'logs', logs: '4\n' }]);
    const items = await openai.conversations.items.list(conv.id, { order: 'asc' });
    expect(items.data.map((i) => i.type)).toEqual(['message', 'code_interpreter_call', 'message', 'message', 'code_interpreter_call', 'message']);
    expect(items.data[1]).toMatchObject({ type: 'code_interpreter_call', code: 'y = 3', outputs: null });
    const included = await openai.conversations.items.list(conv.id, { order: 'asc', include: ['code_interpreter_call.outputs'] });
    expect(included.data[4]).toMatchObject({ type: 'code_interpreter_call', outputs: [{ type: 'logs', logs: '4\n' }] });
  });

  it('a turn calling a function beside the code runs the code, then ends for the client', async () => {
    const model = uniqueModel('rci');
    await llm().script(model, [{ toolCalls: [{ name: 'code_interpreter', arguments: { code: 'print(1)' } }, { name: 'lookup', arguments: { q: 'a' } }] }]);
    const lookup = { type: 'function' as const, name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } }, strict: false };
    const r = await openai.responses.create({ model, input: 'both', tools: [CI, lookup], include: ['code_interpreter_call.outputs'] });
    expect(r.status).toBe('completed');
    expect(r.output.map((i) => [i.type, 'status' in i ? i.status : null])).toEqual([
      ['code_interpreter_call', 'completed'],
      ['function_call', 'completed'],
    ]);
    expect(callOf(r).outputs).toEqual([{ type: 'logs', logs: '1\n' }]);
    expect(await llm().requests(model)).toHaveLength(1);
  });

  it('a background response cancelled while its code runs ends cancelled', async () => {
    const model = await scripted(['import time\ntime.sleep(60)']);
    const r = await openai.responses.create({ model, input: 'wait', tools: [CI], background: true, include: ['code_interpreter_call.outputs'] });
    expect(r.status).toBe('queued');
    const deadline = Date.now() + 20_000;
    let seen = r;
    while (!(seen.output.some((i) => i.type === 'code_interpreter_call' && i.status === 'interpreting')) && Date.now() < deadline) {
      await new Promise((res) => setTimeout(res, 100));
      seen = await openai.responses.retrieve(r.id);
    }
    expect(callOf(seen), JSON.stringify(seen.output)).toMatchObject({ status: 'interpreting' });
    const started = Date.now();
    const cancelled = await openai.responses.cancel(r.id);
    expect(cancelled.status).toBe('cancelled');
    expect(Date.now() - started).toBeLessThan(15_000);
    expect((await settled(r.id)).status).toBe('cancelled');
    // Its stream, replayed, ends with the cancellation, which the SDK raises.
    const events: string[] = [];
    const replay = (async () => {
      for await (const e of (await openai.responses.retrieve(r.id, { stream: true, starting_after: -1 } as never)) as unknown as AsyncIterable<{ type: string }>) events.push(e.type);
    })();
    await expect(replay).rejects.toThrow('The response was cancelled.');
    expect(events.at(-1)).toBe('response.code_interpreter_call.interpreting');
    // The model was never asked again.
    expect(await llm().requests(model)).toHaveLength(1);
  }, 40_000);
});

describe('code_interpreter tool shapes', () => {
  it('bad shapes are 400s naming the parameter', async () => {
    const fileId = await upload('x.txt', 'x');
    const cases: [unknown[], string, RegExp?][] = [
      [[{ type: 'code_interpreter', container: 'cntr_abc' }], 'tools[0].container', /Containers are not available on this server/],
      [[{ type: 'code_interpreter' }], 'tools[0].container'],
      [[{ type: 'code_interpreter', container: { type: 'manual' } }], 'tools[0].container'],
      [[{ type: 'code_interpreter', container: { type: 'auto', file_ids: 'file-1' } }], 'tools[0].container'],
      [[CI, { type: 'code_interpreter', container: { type: 'auto', file_ids: [fileId, 'file-missing'] } }], 'tools[1].container.file_ids[1]', /No file found with id 'file-missing'/],
    ];
    for (const [tools, param, message] of cases) {
      const err = await failure(openai.responses.create({ model: 'm', input: 'x', tools } as never));
      expect(err.status, param).toBe(400);
      expect((err.error as { param: string }).param, JSON.stringify(tools)).toBe(param);
      if (message) expect(err.message).toMatch(message);
    }
  });
});
