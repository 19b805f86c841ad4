/**
 * `npm run eval:models -- [--api http://127.0.0.1:3000] [--runs 5] [model ...]`
 * `npm run eval:models -- --model-url <url> [--modes native,prompted,auto] [--runs 5] [model ...]`
 *
 * Runs the README weather walkthrough N times per model, streamed, and prints per model: how
 * many runs called getCurrentWeather with a `location` and then answered, the time to the first
 * token of each of the two turns, and completion tokens per second over the whole run. Not a
 * test: small models miss sometimes, and that rate is what it measures.
 *
 * With `--api`, against a running API (`npm start` with the MODEL_URL and MODEL_TOOL_MODES under
 * test). With `--model-url`, it starts the server itself (`npm start` on free ports and a
 * temporary data directory) once per tool mode, since the mode is a setting read at start.
 */
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import OpenAI from 'openai';
import { freePorts } from '../src/stack/ports.js';
import { weatherTool } from '../test/support/runs.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    api: { type: 'string', default: 'http://127.0.0.1:3000' },
    runs: { type: 'string', default: '5' },
    'model-url': { type: 'string' },
    modes: { type: 'string', default: 'native,prompted' },
  },
});
const models = positionals.length ? positionals : ['smollm2'];
let openai = new OpenAI({ baseURL: values.api, apiKey: process.env.API_KEY ?? 'EMPTY' });

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

async function evaluate(label: string) {
  for (const model of models) {
    const trials: Trial[] = [];
    for (let i = 0; i < Number(values.runs); i++) trials.push(await trial(model));
    report(`${model}${label}`, trials);
  }
}

function report(name: string, trials: Trial[]) {
  const ok = trials.filter((t) => t.ok);
  const misses = trials.filter((t) => !t.ok).map((t) => t.note);
  console.log(
    `${name}: ${ok.length}/${trials.length} walkthroughs succeeded; ` +
      `median time to first token ${median(ok.map((t) => t.ttftMs[0]!))} ms (tool call), ${median(ok.map((t) => t.ttftMs[1]!))} ms (answer); ` +
      `median ${median(ok.map((t) => t.tokensPerSecond!)).toFixed(1)} completion tokens/s` +
      (misses.length ? `; misses: ${misses.join(', ')}` : ''),
  );
}

/** `npm start` with MODEL_URL and MODEL_TOOL_MODE set, on free ports; resolves once ready, with a stop function. */
async function startServer(modelUrl: string, mode: string, dataDir: string) {
  const [port, postgres, temporal, temporalUi, s3, embeddings] = await freePorts(6);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    MODEL_URL: modelUrl,
    MODEL_TOOL_MODE: mode,
    MODEL_TOOL_MODES: '',
    DATA_DIR: dataDir,
    ...Object.fromEntries(Object.entries({ PORT: port, POSTGRES_PORT: postgres, TEMPORAL_PORT: temporal, TEMPORAL_UI_PORT: temporalUi, S3_PORT: s3, EMBEDDINGS_PORT: embeddings }).map(([k, v]) => [k, String(v)])),
  };
  // Empty values count as unset: a `.env` naming external services must not leak in.
  for (const name of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'S3_ENDPOINT', 'EMBEDDINGS_URL']) env[name] = '';
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, '../src/main.ts')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  // Its log is kept, not shown: only its end, if it fails to start.
  let output = '';
  for (const stream of [child.stdout, child.stderr]) stream.on('data', (d) => (output = (output + d).slice(-4_000)));
  const url = `http://127.0.0.1:${port}`;
  console.log(`[${mode}] waiting for the server (npm start, embedded stack) on ${url}…`);
  for (const deadline = Date.now() + 180_000; ; ) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) throw new Error('the server was not ready within 180 s');
    if (await fetch(`${url}/health/ready`).then((r) => r.ok, () => false)) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  return {
    url,
    stop: () => new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : (child.once('exit', () => resolve()), child.kill('SIGTERM')))),
  };
}

if (values['model-url']) {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'assistants-eval-'));
  // As root, embedded Postgres runs as user `postgres`, which must reach its data dir in here.
  await chmod(dataDir, 0o755);
  try {
    for (const mode of values.modes.split(',').map((m) => m.trim())) {
      const server = await startServer(values['model-url'], mode, dataDir);
      try {
        openai = new OpenAI({ baseURL: server.url, apiKey: 'EMPTY' });
        await evaluate(` [${mode}]`);
      } finally {
        await server.stop();
      }
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
} else {
  await evaluate('');
}
