/**
 * The README's weather walkthrough against a model that writes its tool call as text (as small
 * open models do behind llama.cpp `--jinja`): through the official SDK and the whole stack, the
 * call still ends the run at `requires_action`.
 */
import { describe, expect, it } from 'vitest';
import { client, llm, uniqueModel } from './support/client.js';
import { settled, waitForRun, weatherTool } from './support/runs.js';

const openai = client();

/** Qwen2.5-Coder 1.5B's reply to the walkthrough's question, as it prints it. */
const FENCED_CALL = '```json\n{\n  "name": "getCurrentWeather",\n  "arguments": {\n    "location": "San Francisco, CA"\n  }\n}\n```';

async function weatherBot(model: string) {
  return openai.beta.assistants.create({ model, instructions: 'You are a weather bot. Use the provided functions to answer questions.', tools: [weatherTool] });
}

describe('tool calls written as text', () => {
  it('a fenced JSON call reaches requires_action with the function and arguments, and the outputs complete the run', async () => {
    const model = uniqueModel('qwen-coder');
    await llm().script(model, [{ text: FENCED_CALL, chunkSize: 4 }, { text: 'It is 68 °F in San Francisco.' }]);
    const assistant = await weatherBot(model);
    const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: "What's the weather in San Francisco?" }] });

    const run = await openai.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
    const waiting = await waitForRun(openai, thread.id, run.id, settled);
    expect(waiting.status).toBe('requires_action');
    const [call, ...more] = waiting.required_action!.submit_tool_outputs.tool_calls;
    expect(more).toEqual([]);
    expect(call).toMatchObject({ id: expect.stringMatching(/^call_[0-9A-Za-z]{24}$/), type: 'function', function: { name: 'getCurrentWeather' } });
    expect(JSON.parse(call!.function.arguments)).toEqual({ location: 'San Francisco, CA' });
    // The call is no message text.
    const messages = await openai.beta.threads.messages.list(thread.id);
    expect(messages.data.map((m) => m.role)).toEqual(['user']);

    await openai.beta.threads.runs.submitToolOutputs(run.id, { thread_id: thread.id, tool_outputs: [{ tool_call_id: call!.id, output: '68 °F, sunny' }] });
    expect((await waitForRun(openai, thread.id, run.id, settled)).status).toBe('completed');
    // The model sees its call back as a real tool call, answered by the output.
    const [, second] = await llm().requests(model);
    expect(second.messages.slice(-2)).toMatchObject([
      { role: 'assistant', tool_calls: [{ id: call!.id, type: 'function', function: { name: 'getCurrentWeather' } }] },
      { role: 'tool', tool_call_id: call!.id, content: '68 °F, sunny' },
    ]);
  });

  it('streamed: the prose before the call streams as text, no call JSON does', async () => {
    const model = uniqueModel('qwen-coder-stream');
    const prose = 'Let me look up the current weather in San Francisco for you.\n\n';
    await llm().script(model, [{ text: `${prose}${FENCED_CALL}\n\nThis gives the current conditions.`, chunkSize: 3 }]);
    const assistant = await weatherBot(model);
    const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: "What's the weather in San Francisco?" }] });

    const stream = openai.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id });
    const deltas: string[] = [];
    stream.on('textDelta', (d) => deltas.push(d.value ?? ''));
    await stream.done();

    expect(deltas.length).toBeGreaterThan(5);
    expect(deltas.join('')).toBe(prose);
    for (const d of deltas) expect(d).not.toMatch(/[{}`]/);
    expect(stream.currentRun()?.status).toBe('requires_action');
    const [call] = stream.currentRun()!.required_action!.submit_tool_outputs.tool_calls;
    expect(call!.function.name).toBe('getCurrentWeather');
    expect(JSON.parse(call!.function.arguments)).toEqual({ location: 'San Francisco, CA' });
  });
});
