import { randomUUID } from 'node:crypto';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LlmError, modelFor, type ChatEvent, type ChatModel, type ChatRequest, type LlmConfig, type ToolCall, type ToolSpec } from '../src/llm/index.js';
import { normaliseBaseUrl } from '../src/llm/openai-compatible.js';
import { startScriptedLlm, type ScriptedLlm } from './support/scripted-llm.js';
import { connectScriptedLlm } from './support/scripted-llm-client.js';

let llm: ScriptedLlm;
beforeAll(async () => {
  llm = await startScriptedLlm();
});
afterAll(() => llm.close());

const uid = (name: string) => `${name}-${randomUUID().slice(0, 8)}`;

function config(over: Partial<LlmConfig> = {}): LlmConfig {
  return {
    modelUrl: llm.url,
    toolMode: 'native',
    toolModeOverrides: {},
    structuredOutputs: false,
    anthropicApiKey: 'test-key',
    anthropicUrl: new URL(llm.url).origin,
    requestTimeoutMs: 5_000,
    modelMaxTokens: 2048,
    callTimeoutMs: 60_000,
    maxRepeatChars: 4000,
    ...over,
  };
}

const weather: ToolSpec = {
  name: 'getCurrentWeather',
  description: 'Get the weather in location',
  parameters: { type: 'object', properties: { location: { type: 'string' }, unit: { type: 'string' } }, required: ['location'] },
};
const time: ToolSpec = { name: 'getTime', parameters: { type: 'object', properties: { tz: { type: 'string' } } } };

function request(model: string, over: Partial<ChatRequest> = {}): ChatRequest {
  return {
    model,
    messages: [
      { role: 'system', content: 'You are a weather bot.' },
      { role: 'user', content: 'Weather in SF?' },
    ],
    tools: [],
    toolChoice: 'auto',
    parallelToolCalls: true,
    ...over,
  };
}

/** Consumes a stream the way the activity does: accumulate text and tool calls. */
async function run(model: ChatModel, req: ChatRequest) {
  const events: ChatEvent[] = [];
  const calls: ToolCall[] = [];
  let text = '';
  for await (const event of model.stream(req)) {
    events.push(event);
    if (event.type === 'text') text += event.delta;
    if (event.type === 'tool_call') {
      if (event.id !== undefined) calls[event.index] = { id: event.id, name: event.name ?? '', arguments: '' };
      const call = calls[event.index];
      if (!call) throw new Error(`tool_call delta for index ${event.index} before its first event`);
      call.arguments += event.argumentsDelta ?? '';
    }
  }
  const finish = events.at(-1);
  if (finish?.type !== 'finish') throw new Error('stream did not end with finish');
  return { text, calls, finish, events };
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure');
}

const CALL_ID = /^call_[0-9A-Za-z]{24}$/;

describe('OpenAI-compatible, native tools', () => {
  it('streams text in order and reports the server usage', async () => {
    const model = uid('text');
    llm.script(model, [{ text: 'Hello there, general Kenobi!', chunkSize: 3 }]);
    // The seed README's MODEL_URL form: the full chat-completions URL.
    const out = await run(modelFor(model, config({ modelUrl: `${llm.url}/chat/completions` })), request(model));

    expect(out.text).toBe('Hello there, general Kenobi!');
    expect(out.events.filter((e) => e.type === 'text').length).toBeGreaterThan(5);
    const [body] = llm.requests(model);
    expect(body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(body.tools).toBeUndefined();
    expect(out.finish).toEqual({
      type: 'finish',
      reason: 'stop',
      usage: { promptTokens: Math.ceil(JSON.stringify(body.messages).length / 4), completionTokens: Math.ceil(28 / 4) },
    });
  });

  it('estimates usage when the server sends none', async () => {
    const model = uid('nousage');
    llm.script(model, [{ text: 'x'.repeat(40), omitUsage: true }]);
    const out = await run(modelFor(model, config()), request(model));
    expect(out.finish.usage.completionTokens).toBe(10);
    expect(out.finish.usage.promptTokens).toBeGreaterThan(0);
  });

  it('reports a length finish', async () => {
    const model = uid('length');
    llm.script(model, [{ text: 'cut sh', finishReason: 'length' }]);
    expect((await run(modelFor(model, config()), request(model))).finish.reason).toBe('length');
  });

  it('reassembles parallel tool-call deltas and sends tool history natively', async () => {
    const model = uid('tools');
    llm.script(model, [
      {
        toolCalls: [
          { name: 'getCurrentWeather', arguments: { location: 'San Francisco, CA', unit: 'F' } },
          { name: 'getTime', arguments: '{"tz":"America/Los_Angeles"}' },
        ],
        chunkSize: 5,
      },
    ]);
    const req = request(model, {
      tools: [weather, time],
      messages: [
        { role: 'user', content: 'Earlier question' },
        { role: 'assistant', content: null, toolCalls: [{ id: 'call_prev', name: 'getTime', arguments: '{}' }] },
        { role: 'tool', toolCallId: 'call_prev', content: '12:00' },
        { role: 'user', content: 'Weather and time in SF?' },
      ],
    });
    const out = await run(modelFor(model, config()), req);

    expect(out.calls).toHaveLength(2);
    expect(out.calls[0]).toMatchObject({ name: 'getCurrentWeather' });
    expect(JSON.parse(out.calls[0]!.arguments)).toEqual({ location: 'San Francisco, CA', unit: 'F' });
    expect(out.calls[1]).toMatchObject({ name: 'getTime', arguments: '{"tz":"America/Los_Angeles"}' });
    expect(out.calls[0]!.id).toMatch(/^call_/);
    expect(out.events.filter((e) => e.type === 'tool_call').length).toBeGreaterThan(4);
    expect(out.finish.reason).toBe('tool_calls');

    const [body] = llm.requests(model);
    expect(body.tools.map((t: { function: { name: string } }) => t.function.name)).toEqual(['getCurrentWeather', 'getTime']);
    expect(body).toMatchObject({ tool_choice: 'auto', parallel_tool_calls: true });
    expect(body.messages.slice(1, 3)).toEqual([
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_prev', type: 'function', function: { name: 'getTime', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'call_prev', content: '12:00' },
    ]);
  });

  it('maps a named tool choice and passes sampling options and response_format', async () => {
    const model = uid('choice');
    llm.script(model, [{ toolCalls: [{ name: 'getTime', arguments: {} }] }]);
    const format = { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' } } };
    await run(modelFor(model, config()), request(model, { tools: [weather, time], toolChoice: { name: 'getTime' }, parallelToolCalls: false, temperature: 0.2, topP: 0.9, maxTokens: 300, responseFormat: format }));
    expect(llm.requests(model)[0]).toMatchObject({
      tool_choice: { type: 'function', function: { name: 'getTime' } },
      parallel_tool_calls: false,
      temperature: 0.2,
      top_p: 0.9,
      max_tokens: 300,
      response_format: format,
    });
  });

  it('normalises MODEL_URL forms', () => {
    expect(normaliseBaseUrl('http://localhost:8000/v1/chat/completions')).toBe('http://localhost:8000/v1');
    expect(normaliseBaseUrl('http://localhost:8000/v1/')).toBe('http://localhost:8000/v1');
    expect(normaliseBaseUrl('http://localhost:11434')).toBe('http://localhost:11434/v1');
    expect(normaliseBaseUrl('https://example.com/openai/v1')).toBe('https://example.com/openai/v1');
  });
});

describe('OpenAI-compatible errors', () => {
  async function errorFor(reply: Parameters<ScriptedLlm['script']>[1][number], over: Partial<LlmConfig> = {}) {
    const model = uid('err');
    llm.script(model, [reply]);
    return failure(run(modelFor(model, config(over)), request(model)));
  }

  it('429 is a retryable rate_limit_exceeded carrying retry-after', async () => {
    const err = await errorFor({ error: { status: 429, message: 'slow down', retryAfterSec: 2 } });
    expect(err).toBeInstanceOf(LlmError);
    expect(err).toMatchObject({ code: 'rate_limit_exceeded', retryable: true, status: 429, retryAfterMs: 2000 });
    expect((err as Error).message).toContain('slow down');
  });

  it('500 is a retryable server_error', async () => {
    expect(await errorFor({ error: { status: 500 } })).toMatchObject({ code: 'server_error', retryable: true, status: 500 });
  });

  it('400 is a non-retryable invalid_prompt', async () => {
    expect(await errorFor({ error: { status: 400, message: 'context too long' } })).toMatchObject({ code: 'invalid_prompt', retryable: false });
  });

  it('401 is a non-retryable server_error (our configuration, not the prompt)', async () => {
    expect(await errorFor({ error: { status: 401 } })).toMatchObject({ code: 'server_error', retryable: false });
  });

  it('an error event inside the stream is classified by its code', async () => {
    expect(await errorFor({ error: { status: 503, inStream: true } })).toMatchObject({ code: 'server_error', retryable: true });
    expect(await errorFor({ error: { status: 400, inStream: true } })).toMatchObject({ code: 'invalid_prompt', retryable: false });
  });

  it('a stream that dies mid-way is a retryable server_error after the partial text', async () => {
    const model = uid('die');
    llm.script(model, [{ dieAfterChunks: 2, text: 'abcdefghijklmnop' }]);
    const seen: ChatEvent[] = [];
    const err = await failure((async () => {
      for await (const e of modelFor(model, config()).stream(request(model))) seen.push(e);
    })());
    expect(seen).toEqual([{ type: 'text', delta: 'abcd' }, { type: 'text', delta: 'efgh' }]);
    expect(err).toMatchObject({ code: 'server_error', retryable: true });
  });

  it('an unreachable server is a retryable server_error naming the URL and MODEL_URL', async () => {
    const closed = await startScriptedLlm();
    await closed.close();
    const err = await errorFor({ text: 'unused' }, { modelUrl: closed.url });
    expect(err).toMatchObject({ code: 'server_error', retryable: true });
    expect((err as Error).message).toBe(`model server at ${closed.url} is not reachable (ECONNREFUSED); check MODEL_URL`);
  });

  it('no scripted reply is a clear 500', async () => {
    const model = uid('unscripted');
    const err = await failure(run(modelFor(model, config()), request(model)));
    expect((err as Error).message).toContain(`no scripted reply for model ${model}`);
  });

  it('a silent backend times out as a retryable server_error', async () => {
    const started = Date.now();
    expect(await errorFor({ hang: true }, { requestTimeoutMs: 300 })).toMatchObject({ code: 'server_error', retryable: true });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('aborting during a hang aborts the request promptly with an AbortError', async () => {
    const model = uid('hang');
    llm.script(model, [{ hang: true }]);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = Date.now();
    const err = await failure(run(modelFor(model, config({ requestTimeoutMs: 30_000 })), request(model, { signal: controller.signal })));
    expect(err).not.toBeInstanceOf(LlmError);
    expect((err as Error).name).toBe('AbortError');
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('aborting mid-stream surfaces the abort reason, not an LlmError', async () => {
    const model = uid('midabort');
    llm.script(model, [{ text: 'a'.repeat(400), chunkSize: 1, delayMs: 10 }]);
    const controller = new AbortController();
    const reason = new Error('run cancelled');
    let deltas = 0;
    const err = await failure((async () => {
      for await (const e of modelFor(model, config()).stream(request(model, { signal: controller.signal }))) {
        if (e.type === 'text' && ++deltas === 3) controller.abort(reason);
      }
    })());
    expect(err).toBe(reason);
  });
});

describe('bounds on a model call', () => {
  it('sends MODEL_MAX_TOKENS as max_tokens when the run sets no cap', async () => {
    const model = uid('maxtokens');
    llm.script(model, [{ text: 'short' }, { text: 'short' }]);
    await run(modelFor(model, config({ modelMaxTokens: 512 })), request(model));
    await run(modelFor(model, config({ modelMaxTokens: 512 })), request(model, { maxTokens: 64 }));
    expect(llm.requests(model).map((b) => b.max_tokens)).toEqual([512, 64]);
  });

  it('stops a call that outlives LLM_CALL_TIMEOUT_MS though the server keeps talking', async () => {
    const model = uid('deadline');
    llm.script(model, [{ text: 'word '.repeat(200), chunkSize: 5, delayMs: 20 }]);
    const started = Date.now();
    const err = await failure(run(modelFor(model, config({ callTimeoutMs: 300 })), request(model)));
    expect(err).toBeInstanceOf(LlmError);
    expect(err).toMatchObject({ code: 'server_error', retryable: false });
    expect((err as Error).message).toBe('model call stopped after LLM_CALL_TIMEOUT_MS (300 ms); raise LLM_CALL_TIMEOUT_MS to allow longer calls');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('ends a degenerate stream that repeats one chunk, and leaves varied long text alone', async () => {
    const model = uid('loop');
    llm.script(model, [{ repeat: 'The weather in San Francisco is sunny. ' }]);
    const err = await failure(run(modelFor(model, config({ maxRepeatChars: 2000 })), request(model)));
    expect(err).toMatchObject({ code: 'server_error', retryable: false });
    expect((err as Error).message).toMatch(
      /^model output stopped: it ended in the same 39-character chunk "The weather in San Francisco is sunny. " repeated at least \d+ times in a row; LLM_MAX_REPEAT_CHARS \(2000\)/,
    );

    const varied = uid('varied');
    const text = Array.from({ length: 400 }, (_, i) => `Day ${i + 1}: sunny. `).join('');
    llm.script(varied, [{ text, chunkSize: 16 }]);
    expect((await run(modelFor(varied, config({ maxRepeatChars: 2000 })), request(varied))).text).toBe(text);
  });

  it('a guard set to 0 is off', async () => {
    const model = uid('noguard');
    const text = 'ha'.repeat(3000);
    llm.script(model, [{ text, chunkSize: 8 }]);
    expect((await run(modelFor(model, config({ maxRepeatChars: 0 })), request(model))).text).toBe(text);
  });
});

describe('prompted tools', () => {
  const toolCallsReply = { type: 'tool_calls', tool_calls: [{ name: 'getCurrentWeather', arguments: { location: 'SF' } }] };

  it('with structured outputs: sends a json_schema and parses the reply into tool calls', async () => {
    const model = uid('prompted-structured');
    llm.script(model, [{ json: toolCallsReply }]);
    const out = await run(modelFor(model, config({ toolMode: 'prompted', structuredOutputs: true })), request(model, { tools: [weather, time] }));

    expect(out.calls).toEqual([{ id: expect.stringMatching(CALL_ID), name: 'getCurrentWeather', arguments: '{"location":"SF"}' }]);
    expect(out.finish.reason).toBe('tool_calls');
    expect(out.finish.usage.completionTokens).toBe(Math.ceil(JSON.stringify(toolCallsReply).length / 4));

    const [body] = llm.requests(model);
    expect(body.tools).toBeUndefined();
    expect(body.response_format).toMatchObject({ type: 'json_schema', json_schema: { strict: true } });
    const schema = body.response_format.json_schema.schema;
    const callVariants = schema.anyOf[1].properties.tool_calls.items.anyOf;
    expect(callVariants.map((v: { properties: { name: { enum: string[] } } }) => v.properties.name.enum)).toEqual([['getCurrentWeather'], ['getTime']]);
    expect(callVariants[0].properties.arguments).toEqual(weather.parameters);
    expect(body.messages).toHaveLength(2);
    expect(body.messages[0].role).toBe('system');
    expect(body.messages[0].content).toMatch(/^You are a weather bot\.\n\nYou can call these tools:\n- getCurrentWeather: Get the weather in location/);
  });

  it('a required tool choice leaves text out of the schema', async () => {
    const model = uid('prompted-required');
    llm.script(model, [{ json: toolCallsReply }]);
    await run(modelFor(model, config({ toolMode: 'prompted', structuredOutputs: true })), request(model, { tools: [weather], toolChoice: 'required', parallelToolCalls: false }));
    const schema = llm.requests(model)[0].response_format.json_schema.schema;
    expect(schema.anyOf).toBeUndefined();
    expect(schema.properties.tool_calls).toMatchObject({ minItems: 1, maxItems: 1 });
  });

  it('parses leniently: prose around a fenced block, arguments as a JSON string', async () => {
    const name = uid('prompted-fence');
    const model = `Intel/${name}`; // the override below names it without the organisation
    const fenced = 'Sure, let me check.\n```json\n{"type": "tool_calls", "tool_calls": [{"name": "getCurrentWeather", "arguments": "{\\"location\\": \\"Paris\\"}"}]}\n```';
    llm.script(model, [{ text: fenced }, { json: { type: 'text', text: 'It is sunny {really}.' } }]);
    const cfg = config({ toolMode: 'native', toolModeOverrides: { [name]: 'prompted' } });

    const first = await run(modelFor(model, cfg), request(model, { tools: [weather] }));
    expect(first.calls).toEqual([{ id: expect.stringMatching(CALL_ID), name: 'getCurrentWeather', arguments: '{"location":"Paris"}' }]);
    expect(llm.requests(model)[0].response_format).toBeUndefined();

    const second = await run(modelFor(model, cfg), request(model, { tools: [weather] }));
    expect(second.text).toBe('It is sunny {really}.');
    expect(second.finish.reason).toBe('stop');
  });

  it('renders tool history as alternating plain text', async () => {
    const model = uid('prompted-history');
    llm.script(model, [{ json: { type: 'text', text: 'It is 68F in SF.' } }]);
    await run(modelFor(model, config({ toolMode: 'prompted' })), request(model, {
      tools: [weather],
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Weather in SF and LA?' },
        {
          role: 'assistant',
          content: null,
          toolCalls: [
            { id: 'call_a', name: 'getCurrentWeather', arguments: '{"location":"SF"}' },
            { id: 'call_b', name: 'getCurrentWeather', arguments: '{"location":"LA"}' },
          ],
        },
        { role: 'tool', toolCallId: 'call_a', content: '68F' },
        { role: 'tool', toolCallId: 'call_b', content: '75F' },
      ],
    }));
    const messages = llm.requests(model)[0].messages;
    expect(messages.map((m: { role: string }) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(JSON.parse(messages[2].content)).toEqual({
      type: 'tool_calls',
      tool_calls: [
        { name: 'getCurrentWeather', arguments: { location: 'SF' } },
        { name: 'getCurrentWeather', arguments: { location: 'LA' } },
      ],
    });
    expect(messages[3].content).toBe('Result of tool call call_a (getCurrentWeather):\n68F\n\nResult of tool call call_b (getCurrentWeather):\n75F');
  });

  it('without tools on offer streams plain text', async () => {
    const model = uid('prompted-plain');
    llm.script(model, [{ text: 'Hello friend', chunkSize: 2 }]);
    const out = await run(modelFor(model, config({ toolMode: 'prompted' })), request(model));
    expect(out.events.filter((e) => e.type === 'text').length).toBe(6);
    expect(llm.requests(model)[0].messages[0].content).toBe('You are a weather bot.');
  });

  it('with tools on offer streams the text field as it is generated', async () => {
    const model = uid('prompted-stream');
    const answer = 'It is 68 \u00b0F and "sunny" in San Francisco.\nEnjoy!';
    llm.script(model, [{ json: { type: 'text', text: answer }, chunkSize: 3 }]);
    const out = await run(modelFor(model, config({ toolMode: 'prompted', structuredOutputs: true })), request(model, { tools: [weather] }));
    expect(out.text).toBe(answer);
    const deltas = out.events.filter((e) => e.type === 'text');
    expect(deltas.length).toBeGreaterThan(10);
    // No JSON syntax reaches the client, only the answer's characters, in order.
    for (const d of deltas) expect(answer).toContain((d as { delta: string }).delta);
    expect(out.finish.reason).toBe('stop');
  });

  it('a reply that breaks off after its text began streaming is the answer, not retried', async () => {
    const model = uid('prompted-broken-stream');
    llm.script(model, [{ text: '{"type": "text", "text": "It is sunny in San Fran', chunkSize: 4 }]);
    const out = await run(modelFor(model, config({ toolMode: 'prompted' })), request(model, { tools: [weather] }));
    expect(out.text).toBe('It is sunny in San Fran');
    expect(llm.requests(model)).toHaveLength(1);
  });

  it('retries once with the parse error appended, and sums the usage', async () => {
    const model = uid('prompted-retry');
    const bad = { type: 'tool_calls', tool_calls: [{ name: 'getWether', arguments: {} }] };
    llm.script(model, [{ json: bad }, { json: toolCallsReply }]);
    const out = await run(modelFor(model, config({ toolMode: 'prompted' })), request(model, { tools: [weather] }));

    expect(out.calls.map((c) => c.name)).toEqual(['getCurrentWeather']);
    const [first, second] = llm.requests(model);
    expect(second.messages.slice(0, -2)).toEqual(first.messages);
    expect(second.messages.at(-2)).toEqual({ role: 'assistant', content: JSON.stringify(bad) });
    expect(second.messages.at(-1).content).toContain('unknown tool "getWether"; available: getCurrentWeather');
    const expectedCompletion = Math.ceil(JSON.stringify(bad).length / 4) + Math.ceil(JSON.stringify(toolCallsReply).length / 4);
    expect(out.finish.usage.completionTokens).toBe(expectedCompletion);
  });

  it('still unusable after the retry: prose becomes the answer, broken JSON a non-retryable error', async () => {
    const prose = uid('prompted-prose');
    llm.script(prose, [{ text: 'I do not know.' }, { text: 'Really, I do not know.' }]);
    const out = await run(modelFor(prose, config({ toolMode: 'prompted' })), request(prose, { tools: [weather] }));
    expect(out.text).toBe('Really, I do not know.');
    expect(out.calls).toEqual([]);

    const broken = uid('prompted-broken');
    llm.script(broken, [{ text: '{"type": "tool_calls", "tool_calls": [' }, { json: { type: 'tool_calls', tool_calls: [{ name: 'nope', arguments: {} }] } }]);
    const err = await failure(run(modelFor(broken, config({ toolMode: 'prompted' })), request(broken, { tools: [weather] })));
    expect(err).toMatchObject({ code: 'server_error', retryable: false });
    expect(llm.requests(broken)).toHaveLength(2);
  });
});

describe('auto tool mode', () => {
  it('falls back to prompted after the server rejects tools, and remembers', async () => {
    const model = uid('auto');
    llm.script(model, [{ rejectTools: true }, { json: { type: 'tool_calls', tool_calls: [{ name: 'getTime', arguments: {} }] } }, { json: { type: 'text', text: 'noon' } }]);
    const cfg = config({ toolMode: 'auto' });

    const first = await run(modelFor(model, cfg), request(model, { tools: [time] }));
    expect(first.calls.map((c) => c.name)).toEqual(['getTime']);
    const second = await run(modelFor(model, cfg), request(model, { tools: [time] }));
    expect(second.text).toBe('noon');

    const sent = llm.requests(model);
    expect(sent).toHaveLength(3);
    expect(sent[0].tools).toHaveLength(1);
    expect(sent[1].tools).toBeUndefined();
    expect(sent[2].tools).toBeUndefined();
    expect(sent[2].messages[0].content).toContain('You can call these tools');
  });

  it('does not remember when prompted mode fails too (the 400 was about something else)', async () => {
    const model = uid('auto-other400');
    llm.script(model, [{ error: { status: 400, message: 'context too long' } }, { error: { status: 400, message: 'context too long' } }, { text: 'ok' }]);
    const cfg = config({ toolMode: 'auto' });
    expect(await failure(run(modelFor(model, cfg), request(model, { tools: [time] })))).toMatchObject({ code: 'invalid_prompt' });
    await run(modelFor(model, cfg), request(model, { tools: [time] }));
    expect(llm.requests(model)[2].tools).toHaveLength(1);
  });
});

describe('Anthropic', () => {
  const claude = () => uid('claude-test');

  it('streams text with usage; system messages go to the system field', async () => {
    const model = claude();
    llm.script(model, [{ text: 'Bonjour le monde', chunkSize: 4 }]);
    const out = await run(modelFor(model, config()), request(model, { temperature: 1.5, topP: 0.5 }));

    expect(out.text).toBe('Bonjour le monde');
    expect(out.events.filter((e) => e.type === 'text')).toHaveLength(4);
    const [body] = llm.requests(model);
    expect(body).toMatchObject({ system: 'You are a weather bot.', max_tokens: 4096, stream: true, temperature: 1 });
    expect(body.top_p).toBeUndefined();
    expect(body.messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'Weather in SF?' }] }]);
    expect(out.finish).toEqual({
      type: 'finish',
      reason: 'stop',
      usage: { promptTokens: Math.ceil(JSON.stringify([body.system, body.messages]).length / 4), completionTokens: 4 },
    });
  });

  it('reassembles tool_use blocks from input_json_delta', async () => {
    const model = claude();
    llm.script(model, [{ toolCalls: [{ name: 'getCurrentWeather', arguments: { location: 'SF' } }, { name: 'getTime', arguments: {} }], chunkSize: 3 }]);
    const out = await run(modelFor(model, config()), request(model, { tools: [weather, time], toolChoice: 'required', parallelToolCalls: false }));

    expect(out.calls).toEqual([
      { id: expect.stringMatching(/^toolu_/), name: 'getCurrentWeather', arguments: '{"location":"SF"}' },
      { id: expect.stringMatching(/^toolu_/), name: 'getTime', arguments: '{}' },
    ]);
    expect(out.finish.reason).toBe('tool_calls');
    const [body] = llm.requests(model);
    expect(body.tools[0]).toEqual({ name: 'getCurrentWeather', description: 'Get the weather in location', input_schema: weather.parameters });
    expect(body.tool_choice).toEqual({ type: 'any', disable_parallel_tool_use: true });
  });

  it('sends tool calls as tool_use and consecutive results as one tool_result turn', async () => {
    const model = claude();
    llm.script(model, [{ text: 'SF 68F, LA 75F', finishReason: 'length' }]);
    const out = await run(modelFor(model, config()), request(model, {
      tools: [weather],
      toolChoice: { name: 'getCurrentWeather' },
      messages: [
        { role: 'user', content: 'SF and LA?' },
        {
          role: 'assistant',
          content: 'Checking.',
          toolCalls: [
            { id: 'call_a', name: 'getCurrentWeather', arguments: '{"location":"SF"}' },
            { id: 'call_b', name: 'getCurrentWeather', arguments: '{"location":"LA"}' },
          ],
        },
        { role: 'tool', toolCallId: 'call_a', content: '68F' },
        { role: 'tool', toolCallId: 'call_b', content: '75F' },
      ],
    }));
    expect(out.finish.reason).toBe('length');
    const [body] = llm.requests(model);
    expect(body.system).toBeUndefined();
    expect(body.tool_choice).toEqual({ type: 'tool', name: 'getCurrentWeather', disable_parallel_tool_use: false });
    expect(body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'SF and LA?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Checking.' },
          { type: 'tool_use', id: 'call_a', name: 'getCurrentWeather', input: { location: 'SF' } },
          { type: 'tool_use', id: 'call_b', name: 'getCurrentWeather', input: { location: 'LA' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'call_a', content: '68F' },
          { type: 'tool_result', tool_use_id: 'call_b', content: '75F' },
        ],
      },
    ]);
  });

  it('maps errors: 429 and 529 retryable, 400 not, in-stream overloaded retryable, no key not', async () => {
    const errorFor = async (reply: Parameters<ScriptedLlm['script']>[1][number], over: Partial<LlmConfig> = {}) => {
      const model = claude();
      llm.script(model, [reply]);
      return failure(run(modelFor(model, config(over)), request(model)));
    };
    expect(await errorFor({ error: { status: 429, retryAfterSec: 1 } })).toMatchObject({ code: 'rate_limit_exceeded', retryable: true, retryAfterMs: 1000 });
    expect(await errorFor({ error: { status: 529, message: 'Overloaded' } })).toMatchObject({ code: 'server_error', retryable: true, status: 529 });
    expect(await errorFor({ error: { status: 400, message: 'bad' } })).toMatchObject({ code: 'invalid_prompt', retryable: false });
    expect(await errorFor({ error: { status: 529, inStream: true } })).toMatchObject({ code: 'server_error', retryable: true });
    expect(await errorFor({ dieAfterChunks: 1, text: 'abcdefgh' })).toMatchObject({ code: 'server_error', retryable: true });
    expect(await errorFor({ text: 'unused' }, { anthropicApiKey: undefined })).toMatchObject({ code: 'server_error', retryable: false });
  });

  it('aborting during a hang surfaces an AbortError promptly', async () => {
    const model = claude();
    llm.script(model, [{ hang: true }]);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = Date.now();
    const err = await failure(run(modelFor(model, config({ requestTimeoutMs: 30_000 })), request(model, { signal: controller.signal })));
    expect((err as Error).name).toBe('AbortError');
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe('scripted server', () => {
  it('serves defaults, function replies and non-streaming bodies in the real wire formats', async () => {
    const server = await startScriptedLlm();
    try {
      server.setDefault((req, model) => ({ text: `${model} heard: ${req.messages.at(-1).content}` }));
      server.script('fn', [(req) => ({ toolCalls: [{ name: req.tools[0].function.name, arguments: { a: 1 } }] })]);
      const client = new OpenAI({ baseURL: server.url, apiKey: 'x', maxRetries: 0 });

      const echo = await client.chat.completions.create({ model: 'echo', messages: [{ role: 'user', content: 'ping' }] });
      expect(echo.choices[0]).toMatchObject({ message: { role: 'assistant', content: 'echo heard: ping' }, finish_reason: 'stop' });
      expect(echo.usage?.completion_tokens).toBeGreaterThan(0);

      const fn = await client.chat.completions.create({
        model: 'fn',
        messages: [{ role: 'user', content: 'go' }],
        tools: [{ type: 'function', function: { name: 'doIt' } }],
      });
      expect(fn.choices[0]?.message.tool_calls).toEqual([{ id: expect.stringMatching(/^call_/), type: 'function', function: { name: 'doIt', arguments: '{"a":1}' } }]);

      server.script('claude-json', [{ error: { status: 429, message: 'slow' } }, { text: 'hi' }]);
      const post = () =>
        fetch(`${new URL(server.url).origin}/v1/messages`, {
          method: 'POST',
          headers: { 'x-api-key': 'k', 'anthropic-version': '2023-06-01' },
          body: JSON.stringify({ model: 'claude-json', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }),
        });
      const limited = await post();
      expect(limited.status).toBe(429);
      expect(await limited.json()).toEqual({ type: 'error', error: { type: 'rate_limit_error', message: 'slow' } });
      expect(await (await post()).json()).toMatchObject({ type: 'message', content: [{ type: 'text', text: 'hi' }], stop_reason: 'end_turn' });
    } finally {
      await server.close();
    }
  });
});

describe('scripted server remote control', () => {
  // Talks to the server over HTTP only, as a test file does when the server lives in vitest's global setup.
  const remote = () => connectScriptedLlm(llm.url);

  it('scripts replies and reads requests over HTTP, for both wire formats', async () => {
    const control = remote();
    expect(control.url).toBe(llm.url);

    const model = uid('remote');
    await control.script(model, [{ text: 'Remote hello', chunkSize: 3 }]);
    await control.script(model, [{ toolCalls: [{ name: 'getCurrentWeather', arguments: { location: 'SF' } }] }]); // appends
    const first = await run(modelFor(model, config()), request(model));
    expect(first.text).toBe('Remote hello');
    const second = await run(modelFor(model, config()), request(model, { tools: [weather] }));
    expect(second.calls).toEqual([{ id: expect.stringMatching(CALL_ID), name: 'getCurrentWeather', arguments: '{"location":"SF"}' }]);

    const sent = await control.requests(model);
    expect(sent).toEqual(llm.requests(model));
    expect(sent).toHaveLength(2);
    expect(sent[0]).toMatchObject({ model, stream: true, messages: [{ role: 'system' }, { role: 'user', content: 'Weather in SF?' }] });
    expect(sent[1].tools[0].function.name).toBe('getCurrentWeather');

    const claude = uid('claude-remote');
    await control.script(claude, [{ text: 'Bonjour' }]);
    expect((await run(modelFor(claude, config()), request(claude))).text).toBe('Bonjour');
    expect(await control.requests(claude)).toMatchObject([{ model: claude, system: 'You are a weather bot.' }]);
    expect(await control.requests(uid('never-called'))).toEqual([]);
  });

  it('reset clears the queue and the records of one model only', async () => {
    const control = remote();
    const [a, b] = [uid('reset-a'), uid('reset-b')];
    await control.script(a, [{ text: 'one' }, { text: 'two' }]);
    await control.script(b, [{ text: 'bee' }]);
    await run(modelFor(a, config()), request(a));
    await run(modelFor(b, config()), request(b));

    await control.reset(a);
    expect(await control.requests(a)).toEqual([]);
    expect(await control.requests(b)).toHaveLength(1);
    // 'two' is gone with the queue: with no default, the server answers 500.
    expect(await failure(run(modelFor(a, config()), request(a)))).toMatchObject({ code: 'server_error' });
    expect(await control.requests(a)).toHaveLength(1);
  });

  it('sets and clears a fixed default reply', async () => {
    const server = await startScriptedLlm(); // the default is server-wide: keep it off the shared server
    try {
      const control = connectScriptedLlm(server.url);
      const cfg = { ...config(), modelUrl: server.url, anthropicUrl: new URL(server.url).origin };
      await control.setDefault({ text: 'default says hi', chunkSize: 5 });
      const [x, y] = [uid('default-x'), uid('claude-default')];
      expect((await run(modelFor(x, cfg), request(x))).text).toBe('default says hi');
      expect((await run(modelFor(y, cfg), request(y))).text).toBe('default says hi');
      expect((await run(modelFor(x, cfg), request(x))).text).toBe('default says hi'); // not used up

      await control.script(x, [{ text: 'scripted first' }]);
      expect((await run(modelFor(x, cfg), request(x))).text).toBe('scripted first');
      expect(await control.requests(x)).toHaveLength(3);

      await control.setDefault(null);
      expect(await failure(run(modelFor(x, cfg), request(x)))).toMatchObject({ code: 'server_error' });

      // The in-process forms still work alongside: a fixed Reply and a function.
      server.setDefault({ text: 'in-process fixed' });
      expect((await run(modelFor(x, cfg), request(x))).text).toBe('in-process fixed');
      server.setDefault((_req, model) => ({ text: `fn for ${model}` }));
      expect((await run(modelFor(x, cfg), request(x))).text).toBe(`fn for ${x}`);
    } finally {
      await server.close();
    }
  });

  it('rejects what cannot be a reply, with the reason in the thrown error', async () => {
    const control = remote();
    const model = uid('remote-bad');
    await expect(control.script(model, [{ nope: 1 } as never])).rejects.toThrow(/400: .*replies\[0\]: needs one of text/);
    // A function reply serialises to null: refused rather than silently dropped.
    await expect(control.script(model, [(() => ({ text: 'x' })) as never])).rejects.toThrow(/function replies cannot be sent over HTTP/);
    await expect(control.script(model, [{ text: 'ok' }, { error: { status: 'bad' } } as never])).rejects.toThrow(/replies\[1\]: error.status/);
    await expect(control.setDefault({ text: 42 } as never)).rejects.toThrow(/reply: text must be a string/);
    expect(await control.requests(model)).toEqual([]);
    // Nothing from a refused batch was queued.
    await control.script(model, [{ text: 'only this' }]);
    expect((await run(modelFor(model, config()), request(model))).text).toBe('only this');

    const origin = new URL(llm.url).origin;
    expect((await fetch(`${origin}/_scripted/nope`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${origin}/_scripted/requests`)).status).toBe(400);
    expect((await fetch(`${origin}/_scripted/script`)).status).toBe(405);
    expect((await fetch(`${origin}/_scripted/toString`)).status).toBe(404);
  });
});
