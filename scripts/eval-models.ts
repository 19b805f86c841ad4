/**
 * `npm run eval:models -- [--api http://127.0.0.1:3000] [--runs 5] [model ...]`
 *
 * Runs the README weather walkthrough against a running API (`npm start`, with the MODEL_URL and
 * MODEL_TOOL_MODES under test) N times per model, streamed, and prints per model: how many runs
 * called getCurrentWeather with a `location` and then answered, the time to the first token of
 * each of the two turns, and completion tokens per second over the whole run. Not a test: small
 * models miss sometimes, and that rate is what it measures.
 */
import OpenAI from 'openai';
import { parseArgs } from 'node:util';
import { weatherTool } from '../test/support/runs.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { api: { type: 'string', default: 'http://127.0.0.1:3000' }, runs: { type: 'string', default: '5' } },
});
const models = positionals.length ? positionals : ['smollm2'];
const openai = new OpenAI({ baseURL: values.api, apiKey: process.env.API_KEY ?? 'EMPTY' });

const instructions = 'You are a weather bot. Use the provided functions to answer questions.';

interface Trial {
  ok: boolean;
  ttftMs: number[];
  tokensPerSecond?: number;
  note?: string;
}

/** Milliseconds from `start` to the stream's first message or tool-call delta (NaN if none came). */
function firstToken(stream: ReturnType<typeof openai.beta.threads.runs.stream>, start: number): Promise<number> {
  return new Promise((resolve) => {
    stream.on('event', (e) => {
      if (e.event === 'thread.message.delta' || e.event === 'thread.run.step.delta') resolve(Date.now() - start);
    });
    stream.on('end', () => resolve(NaN));
  });
}

async function trial(model: string): Promise<Trial> {
  const assistant = await openai.beta.assistants.create({ model, instructions, tools: [weatherTool] });
  const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: "What's the weather in San Francisco?" }] });
  const start = Date.now();
  const ask = openai.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id, temperature: 0 });
  const ttftCall = firstToken(ask, start);
  let run = await ask.finalRun();
  const call = run.required_action?.submit_tool_outputs.tool_calls[0];
  let args: unknown;
  try {
    args = JSON.parse(call?.function.arguments ?? '');
  } catch {
    // reported below as a miss
  }
  if (run.status !== 'requires_action' || call?.function.name !== 'getCurrentWeather' || typeof args !== 'object' || !args || !('location' in args)) {
    return { ok: false, ttftMs: [], note: `${run.status}${call ? ` ${call.function.name}(${call.function.arguments})` : ''}` };
  }
  const answerStart = Date.now();
  const answer = openai.beta.threads.runs.submitToolOutputsStream(run.id, {
    thread_id: thread.id,
    tool_outputs: [{ tool_call_id: call.id, output: '{"temperature": 68, "unit": "F"}' }],
  });
  const ttftAnswer = firstToken(answer, answerStart);
  run = await answer.finalRun();
  const text = (await answer.finalMessages()).flatMap((m) => m.content).map((c) => (c.type === 'text' ? c.text.value : '')).join('');
  const seconds = (Date.now() - start) / 1000;
  const ok = run.status === 'completed' && text.trim() !== '';
  return { ok, ttftMs: [await ttftCall, await ttftAnswer], tokensPerSecond: (run.usage?.completion_tokens ?? 0) / seconds, note: ok ? undefined : run.status };
}

const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]! : NaN);

for (const model of models) {
  const trials: Trial[] = [];
  for (let i = 0; i < Number(values.runs); i++) trials.push(await trial(model));
  const ok = trials.filter((t) => t.ok);
  const misses = trials.filter((t) => !t.ok).map((t) => t.note);
  console.log(
    `${model}: ${ok.length}/${trials.length} walkthroughs succeeded; ` +
      `median time to first token ${median(ok.map((t) => t.ttftMs[0]!))} ms (tool call), ${median(ok.map((t) => t.ttftMs[1]!))} ms (answer); ` +
      `median ${median(ok.map((t) => t.tokensPerSecond!)).toFixed(1)} completion tokens/s` +
      (misses.length ? `; misses: ${misses.join(', ')}` : ''),
  );
}
