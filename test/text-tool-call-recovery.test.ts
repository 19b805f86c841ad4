/**
 * Tool calls that open models wrote as text, recovered by the native-mode adapter. The fixtures
 * are replies as the models print them through llama.cpp `llama-server --jinja` / vLLM / Ollama
 * (Qwen2.5-Coder 0.5B/1.5B, SmolLM2-135M, Hermes-2-Pro, Mistral 7B Instruct v0.3, Llama 3.1 8B),
 * streamed by the scripted model server in small chunks as a real server streams tokens.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelFor, type ChatEvent, type ChatRequest, type LlmConfig, type ToolSpec } from '../src/llm/index.js';
import { startScriptedLlm, type ScriptedLlm } from './support/scripted-llm.js';

let llm: ScriptedLlm;
beforeAll(async () => {
  llm = await startScriptedLlm();
});
afterAll(() => llm.close());

const config = (): LlmConfig => ({
  modelUrl: llm.url,
  toolMode: 'native',
  toolModeOverrides: {},
  structuredOutputs: false,
  anthropicUrl: new URL(llm.url).origin,
  requestTimeoutMs: 5_000,
  modelMaxTokens: 2048,
  callTimeoutMs: 60_000,
  maxRepeatChars: 4000,
});

const weather: ToolSpec = {
  name: 'getCurrentWeather',
  description: 'Get the weather in location',
  parameters: { type: 'object', properties: { location: { type: 'string' }, unit: { type: 'string' } }, required: ['location'] },
};

const SF = { location: 'San Francisco, CA' };
const CALL_ID = /^call_[0-9A-Za-z]{24}$/;

/** Streams `reply` (as the model printed it) through the native adapter with the weather tool offered. */
async function recover(reply: string, over: Partial<ChatRequest> = {}, chunkSize = 3) {
  const model = `recover-${randomUUID().slice(0, 8)}`;
  llm.script(model, [{ text: reply, chunkSize }]);
  const events: ChatEvent[] = [];
  const req: ChatRequest = {
    model,
    messages: [{ role: 'user', content: "What's the weather in San Francisco?" }],
    tools: [weather],
    toolChoice: 'auto',
    parallelToolCalls: true,
    ...over,
  };
  for await (const event of modelFor(model, config()).stream(req)) events.push(event);
  const texts = events.flatMap((e) => (e.type === 'text' ? [e.delta] : []));
  const calls = events.flatMap((e) => (e.type === 'tool_call' ? [e] : []));
  const finish = events.at(-1);
  return {
    text: texts.join(''),
    texts,
    calls: calls.map((c) => ({ id: c.id, name: c.name, arguments: JSON.parse(c.argumentsDelta ?? '') })),
    reason: finish?.type === 'finish' ? finish.reason : undefined,
    events,
  };
}

describe('tool calls written as text become tool calls', () => {
  const forms: [string, string, object[]][] = [
    ['Qwen2.5-Coder 0.5B, bare JSON', '{"name": "getCurrentWeather", "arguments": {"location": "San Francisco, CA"}}', [SF]],
    ['Qwen2.5-Coder 1.5B, a ```json fence', '```json\n{\n  "name": "getCurrentWeather",\n  "arguments": {\n    "location": "San Francisco, CA"\n  }\n}\n```', [SF]],
    ['Hermes/Qwen <tool_call> tags', '<tool_call>\n{"name": "getCurrentWeather", "arguments": {"location": "San Francisco, CA", "unit": "fahrenheit"}}\n</tool_call>', [{ ...SF, unit: 'fahrenheit' }]],
    ['Mistral [TOOL_CALLS]', '[TOOL_CALLS] [{"name": "getCurrentWeather", "arguments": {"location": "San Francisco, CA"}}]', [SF]],
    ['Llama 3.1 <|python_tag|> with "parameters"', '<|python_tag|>{"name": "getCurrentWeather", "parameters": {"location": "San Francisco, CA"}}', [SF]],
    ['SmolLM2, arguments as a JSON string', '{"name": "getCurrentWeather", "arguments": "{\\"location\\": \\"San Francisco, CA\\"}"}', [SF]],
    [
      'the chat-completions shape, printed',
      '{"type": "function", "function": {"name": "getCurrentWeather", "arguments": {"location": "San Francisco, CA"}}}',
      [SF],
    ],
    [
      'a list of two calls',
      '[{"name": "getCurrentWeather", "arguments": {"location": "San Francisco, CA"}}, {"name": "getCurrentWeather", "arguments": {"location": "Boston, MA"}}]',
      [SF, { location: 'Boston, MA' }],
    ],
    [
      'two Hermes calls in a row',
      '<tool_call>\n{"name": "getCurrentWeather", "arguments": {"location": "San Francisco, CA"}}\n</tool_call>\n<tool_call>\n{"name": "getCurrentWeather", "arguments": {"location": "Boston, MA"}}\n</tool_call>',
      [SF, { location: 'Boston, MA' }],
    ],
  ];

  for (const [label, reply, args] of forms) {
    it(label, async () => {
      const out = await recover(reply);
      expect(out.calls.map((c) => c.arguments)).toEqual(args);
      for (const call of out.calls) {
        expect(call.name).toBe('getCurrentWeather');
        expect(call.id).toMatch(CALL_ID);
      }
      expect(out.text).toBe('');
      expect(out.reason).toBe('tool_calls');
      // Indexes count up from 0, one first event (with id and name) per call.
      expect(out.events.flatMap((e) => (e.type === 'tool_call' ? [e.index] : []))).toEqual(args.map((_, i) => i));
    });
  }

  it('a fence with prose around it: the prose before streams, the call is a call, chatter after it is dropped', async () => {
    const reply =
      'To find out the current weather in San Francisco, I will use the `getCurrentWeather` function.\n\n' +
      '```json\n{\n  "name": "getCurrentWeather",\n  "arguments": {\n    "location": "San Francisco, CA"\n  }\n}\n```\n\n' +
      'This will give us the current weather conditions in San Francisco.';
    const out = await recover(reply);
    expect(out.text).toBe('To find out the current weather in San Francisco, I will use the `getCurrentWeather` function.\n\n');
    expect(out.texts.length).toBeGreaterThan(5);
    expect(out.calls).toMatchObject([{ name: 'getCurrentWeather', arguments: SF }]);
    expect(out.reason).toBe('tool_calls');
    // Text first, then the call: the order the activities write a turn in.
    const kinds = out.events.map((e) => e.type);
    expect(kinds.indexOf('tool_call')).toBeGreaterThan(kinds.lastIndexOf('text'));
  });

  it('still finds the call when the server streams one character at a time', async () => {
    const out = await recover('<tool_call>\n{"name": "getCurrentWeather", "arguments": {"location": "San Francisco, CA"}}\n</tool_call>', {}, 1);
    expect(out).toMatchObject({ text: '', calls: [{ name: 'getCurrentWeather', arguments: SF }], reason: 'tool_calls' });
  });

  it('without parallel tool calls keeps only the first', async () => {
    const out = await recover('[{"name": "getCurrentWeather", "arguments": {"location": "San Francisco, CA"}}, {"name": "getCurrentWeather", "arguments": {"location": "Boston, MA"}}]', {
      parallelToolCalls: false,
    });
    expect(out.calls.map((c) => c.arguments)).toEqual([SF]);
  });
});

describe('what is not a usable call stays text', () => {
  it('a call naming a function that was not offered (SmolLM2-135M inventing one)', async () => {
    const reply = '{"name": "get_weather", "arguments": {"city": "San Francisco"}}';
    expect(await recover(reply)).toMatchObject({ text: reply, calls: [], reason: 'stop' });
  });

  it('arguments that do not match the schema (location is required)', async () => {
    const reply = '```json\n{"name": "getCurrentWeather", "arguments": {"city": "San Francisco, CA"}}\n```';
    expect(await recover(reply)).toMatchObject({ text: reply, calls: [], reason: 'stop' });
  });

  it('prose that starts with { streams as text from the first chunks', async () => {
    const reply = '{location} is a placeholder in your question: tell me the city and I will look up its weather for you.';
    const out = await recover(reply);
    expect(out).toMatchObject({ text: reply, calls: [], reason: 'stop' });
    // Decided on `{l`: the second chunk already goes out, long before the end.
    expect(out.texts.length).toBeGreaterThan(20);
    expect(out.texts[0]).toBe('{lo');
  });

  it('a JSON answer that is not a call, and a code fence that holds no JSON', async () => {
    const json = '{"location": "San Francisco, CA", "temperature": 68}';
    expect(await recover(json)).toMatchObject({ text: json, calls: [] });
    const code = 'Here is how to print it:\n```python\nprint("68 F in San Francisco")\n```\nRun it with python3.';
    const out = await recover(code);
    expect(out).toMatchObject({ text: code, calls: [], reason: 'stop' });
    expect(out.texts.length).toBeGreaterThan(10);
  });

  it('ordinary text streams chunk by chunk without delay', async () => {
    const reply = 'It is 68 degrees and sunny in San Francisco today.';
    const out = await recover(reply);
    expect(out.texts).toEqual(reply.match(/.{1,3}/gs));
  });

  it('tool_choice none: a written call is left alone', async () => {
    const reply = '{"name": "getCurrentWeather", "arguments": {"location": "San Francisco, CA"}}';
    expect(await recover(reply, { toolChoice: 'none' })).toMatchObject({ text: reply, calls: [], reason: 'stop' });
  });

  it('a named tool choice: only that tool may be called', async () => {
    const reply = '{"name": "getCurrentWeather", "arguments": {"location": "San Francisco, CA"}}';
    const out = await recover(reply, { tools: [weather, { name: 'getTime' }], toolChoice: { name: 'getTime' } });
    expect(out).toMatchObject({ text: reply, calls: [] });
  });
});
