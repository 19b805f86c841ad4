/**
 * code_interpreter through the official SDK: the scripted model calls the tool, the worker runs
 * the code in the thread's sandboxed session (src/sandbox), and the model's next turn reads the
 * outputs. Sandbox escapes in detail: sandbox.test.ts.
 */
import { toFile } from 'openai';
import type { Message, MessageCreateParams } from 'openai/resources/beta/threads/messages';
import type { CodeInterpreterToolCall, ToolCall } from 'openai/resources/beta/threads/runs/steps';
import { inflateSync } from 'node:zlib';
import { describe, expect, inject, it } from 'vitest';
import { client, llm, uniqueModel } from './support/client.js';

const openai = client();

interface Setup {
  /** The answer after each call (default `Done.`). */
  answers?: string[];
  /** The first user message's attachments. */
  attachments?: MessageCreateParams['attachments'];
  assistantFiles?: string[];
  threadFiles?: string[];
}

/** A thread whose runs use code_interpreter, with the model scripted to run each `code` then answer. */
async function scripted(codes: string[], setup: Setup = {}) {
  const model = uniqueModel('code');
  await llm().script(model, codes.flatMap((code, i) => [{ toolCalls: [{ name: 'code_interpreter', arguments: { code } }] }, { text: setup.answers?.[i] ?? 'Done.' }]));
  const assistant = await openai.beta.assistants.create({
    model,
    tools: [{ type: 'code_interpreter' }],
    ...(setup.assistantFiles && { tool_resources: { code_interpreter: { file_ids: setup.assistantFiles } } }),
  });
  const thread = await openai.beta.threads.create({
    messages: [{ role: 'user', content: 'compute', ...(setup.attachments && { attachments: setup.attachments }) }],
    ...(setup.threadFiles && { tool_resources: { code_interpreter: { file_ids: setup.threadFiles } } }),
  });
  return { model, assistant, thread };
}

const upload = async (name: string, content: string) => (await openai.files.create({ file: await toFile(Buffer.from(content), name), purpose: 'assistants' })).id;

/** The PNG signature, then an IHDR chunk (its CRC checked) with a plausible size; returns width and height. */
function pngSize(bytes: Buffer): { width: number; height: number } {
  expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  expect(bytes.readUInt32BE(8)).toBe(13);
  expect(bytes.subarray(12, 16).toString('latin1')).toBe('IHDR');
  expect(bytes.readUInt32BE(29)).toBe(crc32(bytes.subarray(12, 29)));
  // The image data inflates: a whole PNG, not a prefix.
  const idat = Buffer.concat(chunks(bytes).filter((c) => c.type === 'IDAT').map((c) => c.data));
  expect(inflateSync(idat).length).toBeGreaterThan(0);
  expect(chunks(bytes).at(-1)!.type).toBe('IEND');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

function chunks(png: Buffer): { type: string; data: Buffer }[] {
  const out = [];
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at);
    out.push({ type: png.subarray(at + 4, at + 8).toString('latin1'), data: png.subarray(at + 8, at + 8 + length) });
    at += 12 + length;
  }
  return out;
}

function crc32(data: Buffer): number {
  let c = ~0;
  for (const byte of data) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

async function lastAnswer(threadId: string): Promise<Message> {
  return (await openai.beta.threads.messages.list(threadId, { limit: 1 })).data[0]!;
}

const PLOT = 'import matplotlib.pyplot as plt\nplt.plot([1, 2, 3], [1, 4, 9])\nplt.title("squares")\nplt.grid(True)';

async function codeCall(threadId: string, runId: string): Promise<CodeInterpreterToolCall> {
  const [step] = (await openai.beta.threads.runs.steps.list(runId, { thread_id: threadId, order: 'asc' })).data;
  const calls = step!.step_details.type === 'tool_calls' ? step!.step_details.tool_calls : [];
  return calls[0] as CodeInterpreterToolCall;
}

describe('code_interpreter through the SDK', () => {
  it('runs the code, records input and logs, and feeds them to the model', async () => {
    const { model, assistant, thread } = await scripted(['x = 6 * 7\nprint(x)']);
    const run = await openai.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 100 });
    expect(run.status).toBe('completed');
    const call = await codeCall(thread.id, run.id);
    expect(call).toMatchObject({ type: 'code_interpreter', code_interpreter: { input: 'x = 6 * 7\nprint(x)', outputs: [{ type: 'logs', logs: '42\n' }] } });
    const [first, second] = await llm().requests(model);
    expect(first.tools.map((t: { function: { name: string } }) => t.function.name)).toEqual(['code_interpreter']);
    expect(second.messages.at(-1)).toMatchObject({ role: 'tool', tool_call_id: call.id, content: '42\n' });
  });

  it('an exception is output the model reads, and the run completes', async () => {
    const { model, assistant, thread } = await scripted(['{}["missing"]']);
    const run = await openai.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 100 });
    expect(run.status).toBe('completed');
    const logs = 'Traceback (most recent call last):\n  File "<cell 1>", line 1, in <module>\n    {}["missing"]\n     ~~^^^^^^^^^^^\nKeyError: \'missing\'\n';
    expect((await codeCall(thread.id, run.id)).code_interpreter.outputs).toEqual([{ type: 'logs', logs }]);
    expect((await llm().requests(model))[1].messages.at(-1).content).toBe(logs);
  });

  it('keeps the session between two runs of one thread', async () => {
    const { assistant, thread } = await scripted(['import pandas as pd\ndf = pd.DataFrame({"a": [1, 2, 3]})', 'df.a.sum()']);
    await openai.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 100 });
    await openai.beta.threads.messages.create(thread.id, { role: 'user', content: 'and the sum?' });
    const second = await openai.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 100 });
    expect(second.status).toBe('completed');
    expect((await codeCall(thread.id, second.id)).code_interpreter.outputs).toEqual([{ type: 'logs', logs: 'np.int64(6)\n' }]);
  });

  it('streams the code as input fragments, then the outputs, in OpenAI order', async () => {
    const code = 'for i in range(3):\n    print("line", i)';
    const { assistant, thread } = await scripted([code]);
    const events: string[] = [];
    const done: ToolCall[] = [];
    const stream = openai.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id });
    stream.on('event', (e) => {
      const c = e.event === 'thread.run.step.delta' ? (e.data.delta.step_details as { tool_calls?: CodeInterpreterToolCall[] }).tool_calls?.[0] : undefined;
      events.push(c ? (c.id ? 'delta:opening' : c.code_interpreter.outputs ? 'delta:outputs' : 'delta:input') : e.event);
    });
    stream.on('toolCallDone', (c) => done.push(c));
    await stream.finalRun();
    // Runs of input fragments and of text deltas count once.
    const compact = events.filter((e, i) => !(['delta:input', 'thread.message.delta'].includes(e) && events[i - 1] === e));
    expect(compact).toEqual([
      'thread.run.created', 'thread.run.queued', 'thread.run.in_progress',
      'thread.run.step.created', 'thread.run.step.in_progress', 'delta:opening', 'delta:input', 'delta:outputs', 'thread.run.step.completed',
      'thread.run.step.created', 'thread.run.step.in_progress', 'thread.message.created', 'thread.message.in_progress',
      'thread.message.delta', 'thread.message.completed', 'thread.run.step.completed', 'thread.run.completed',
    ]);
    // The SDK's own accumulation of the deltas is the whole call.
    expect(done).toEqual([{ index: 0, id: expect.stringMatching(/^call_/), type: 'code_interpreter', code_interpreter: { input: code, outputs: [{ index: 0, type: 'logs', logs: 'line 0\nline 1\nline 2\n' }] } }]);
  });

  it('escapes through a run are contained and the API stays healthy', async () => {
    const pg = new URL(inject('databaseUrl'));
    const { assistant, thread } = await scripted([`import socket\ntry:\n    socket.create_connection(("${pg.hostname}", ${pg.port}))\nexcept OSError as e:\n    print(e)\nprint(open("/etc/shadow").read())`]);
    const run = await openai.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 100 });
    expect(run.status).toBe('completed');
    const [out] = (await codeCall(thread.id, run.id)).code_interpreter.outputs;
    expect(out).toMatchObject({ type: 'logs' });
    const logs = (out as { logs: string }).logs;
    expect(logs.startsWith('[Errno 1] Operation not permitted\nTraceback')).toBe(true);
    expect(logs).toContain("FileNotFoundError: [Errno 2] No such file or directory: '/etc/shadow'");
    expect((await fetch(`${inject('apiUrl')}/health`)).status).toBe(200);
  });

  it('a plot is an image output of the call and an image_file of the answer, its bytes a PNG', async () => {
    const { assistant, thread } = await scripted([PLOT], { answers: ['Here is the plot.'] });
    const run = await openai.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 100 });
    expect(run.status).toBe('completed');
    const { outputs } = (await codeCall(thread.id, run.id)).code_interpreter;
    expect(outputs).toEqual([{ type: 'image', image: { file_id: expect.stringMatching(/^file-/) } }]);
    const fileId = (outputs[0] as { image: { file_id: string } }).image.file_id;
    const answer = await lastAnswer(thread.id);
    expect(answer.content).toEqual([
      { type: 'image_file', image_file: { file_id: fileId } },
      { type: 'text', text: { value: 'Here is the plot.', annotations: [] } },
    ]);
    expect(await openai.files.retrieve(fileId)).toMatchObject({ purpose: 'assistants_output', filename: 'figure-1.png', status: 'processed' });
    const png = Buffer.from(await (await openai.files.content(fileId)).arrayBuffer());
    // matplotlib's default figure: 6.4 × 4.8 inches at 100 dpi.
    expect(pngSize(png)).toEqual({ width: 640, height: 480 });
  });

  it('reads a CSV attachment with pandas, read-only under /mnt/data by its name', async () => {
    const csv = await upload('sales.csv', 'region,amount\nnorth,10\nsouth,32\nnorth,5\n');
    const code = [
      'import pandas as pd, os',
      'df = pd.read_csv("/mnt/data/sales.csv")',
      'print(df.groupby("region").amount.sum().to_dict())',
      'try:',
      '    open("/mnt/data/sales.csv", "w")',
      'except OSError:',
      '    print("read-only")',
    ].join('\n');
    const { model, assistant, thread } = await scripted([code], { attachments: [{ file_id: csv, tools: [{ type: 'code_interpreter' }] }] });
    const run = await openai.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 100 });
    expect(run.status).toBe('completed');
    expect((await codeCall(thread.id, run.id)).code_interpreter.outputs).toEqual([{ type: 'logs', logs: "{'north': 15, 'south': 32}\nread-only\n" }]);
    // The model is told where the file is.
    expect((await llm().requests(model))[0].messages[0]).toEqual({ role: 'system', content: 'Files for code_interpreter, read-only in /mnt/data: /mnt/data/sales.csv' });
  });

  it("the assistant's and the thread's files are there too; a name taken twice gets the file id", async () => {
    const a = await upload('data.txt', 'from the assistant');
    const b = await upload('data.txt', 'from the thread');
    const c = await upload('notes.md', 'attached');
    const code = 'import os\nfor n in sorted(os.listdir("/mnt/data")):\n    print(n, open("/mnt/data/" + n).read())';
    const { assistant, thread } = await scripted([code], { assistantFiles: [a], threadFiles: [b, a], attachments: [{ file_id: c, tools: [{ type: 'code_interpreter' }] }, { file_id: a, tools: [{ type: 'file_search' }] }] });
    const run = await openai.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 100 });
    expect(run.status).toBe('completed');
    const logs = [`data-${b}.txt from the thread`, 'data.txt from the assistant', 'notes.md attached'].sort().join('\n') + '\n';
    expect((await codeCall(thread.id, run.id)).code_interpreter.outputs).toEqual([{ type: 'logs', logs }]);
  });

  it('a file the code writes is a File the answer links with a file_path annotation', async () => {
    const code = 'import pandas as pd\npd.DataFrame({"n": [1, 2, 3]}).to_csv("/mnt/data/squares.csv", index=False)\nprint("saved")';
    const answer = 'Download [squares.csv](sandbox:/mnt/data/squares.csv). Not ours: sandbox:/mnt/data/other.csv';
    const { assistant, thread } = await scripted([code], { answers: [answer] });
    const run = await openai.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 100 });
    expect(run.status).toBe('completed');
    expect((await codeCall(thread.id, run.id)).code_interpreter.outputs).toEqual([{ type: 'logs', logs: 'saved\n' }]);
    const [part] = (await lastAnswer(thread.id)).content;
    expect(part).toMatchObject({ type: 'text', text: { value: answer } });
    const { annotations } = (part as { text: { annotations: unknown[] } }).text;
    const start = answer.indexOf('sandbox:/mnt/data/squares.csv');
    expect(annotations).toEqual([
      { type: 'file_path', text: 'sandbox:/mnt/data/squares.csv', start_index: start, end_index: start + 29, file_path: { file_id: expect.stringMatching(/^file-/) } },
    ]);
    const fileId = (annotations[0] as { file_path: { file_id: string } }).file_path.file_id;
    expect(answer.slice(start, start + 29)).toBe('sandbox:/mnt/data/squares.csv');
    expect(await openai.files.retrieve(fileId)).toMatchObject({ purpose: 'assistants_output', filename: 'squares.csv', bytes: 8 });
    expect(await (await openai.files.content(fileId)).text()).toBe('n\n1\n2\n3\n');
    // It is listed with the other outputs.
    const outputs = await openai.files.list({ purpose: 'assistants_output' });
    expect(outputs.data.map((f) => f.id)).toContain(fileId);
  });

  it('streams the image output in the step delta, then the image_file and annotations in message deltas', async () => {
    const code = `${PLOT}\nwith open("/mnt/data/note.txt", "w") as f:\n    f.write("hi")`;
    const answer = 'See [note](sandbox:/mnt/data/note.txt).';
    const { assistant, thread } = await scripted([code], { answers: [answer] });
    const events: string[] = [];
    const imageOutputs: unknown[] = [];
    const stream = openai.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id });
    stream.on('event', (e) => {
      if (e.event === 'thread.run.step.delta') {
        const c = (e.data.delta.step_details as { tool_calls?: CodeInterpreterToolCall[] }).tool_calls?.[0];
        if (c?.code_interpreter?.outputs) imageOutputs.push(...c.code_interpreter.outputs.filter((o) => o.type === 'image'));
        events.push(c?.id ? 'delta:opening' : c?.code_interpreter?.outputs ? 'delta:outputs' : 'delta:input');
      } else if (e.event === 'thread.message.delta') {
        const kinds = (e.data.delta.content ?? []).map((p) => (p.type === 'text' && p.text?.annotations?.length && !p.text.value ? 'annotations' : p.type));
        events.push(`message.delta:${kinds.join('+')}`);
      } else events.push(e.event);
    });
    const messages = await stream.finalMessages();
    await stream.finalRun();
    const compact = events.filter((e, i) => !(['delta:input', 'message.delta:text'].includes(e) && events[i - 1] === e));
    expect(compact).toEqual([
      'thread.run.created', 'thread.run.queued', 'thread.run.in_progress',
      'thread.run.step.created', 'thread.run.step.in_progress', 'delta:opening', 'delta:input', 'delta:outputs', 'thread.run.step.completed',
      'thread.run.step.created', 'thread.run.step.in_progress', 'thread.message.created', 'thread.message.in_progress',
      'message.delta:image_file+text', 'message.delta:text', 'message.delta:annotations', 'thread.message.completed', 'thread.run.step.completed', 'thread.run.completed',
    ]);
    expect(imageOutputs).toEqual([{ index: 0, type: 'image', image: { file_id: expect.stringMatching(/^file-/) } }]);
    const imageId = (imageOutputs[0] as { image: { file_id: string } }).image.file_id;
    // What the SDK accumulated is what the server stored.
    const stored = await lastAnswer(thread.id);
    expect(messages).toHaveLength(1);
    expect(messages[0]!.content).toEqual(stored.content);
    expect(stored.content[0]).toEqual({ type: 'image_file', image_file: { file_id: imageId } });
    expect(stored.content[1]).toMatchObject({ type: 'text', text: { value: answer, annotations: [{ type: 'file_path', text: 'sandbox:/mnt/data/note.txt', start_index: 11, end_index: 37 }] } });
    expect(pngSize(Buffer.from(await (await openai.files.content(imageId)).arrayBuffer())).width).toBe(640);
  });
});
