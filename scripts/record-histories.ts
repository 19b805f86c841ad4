/**
 * `npm run record:histories`: records the workflow histories `test/replay.test.ts` replays.
 * Starts the real stack (test/support/harness.ts), drives one real run per scenario through the
 * official SDK with scripted model replies, and writes each run's Temporal history to
 * test/fixtures/histories/<scenario>.json.
 *
 * Re-record only to add a scenario: an existing fixture is what in-flight runs of the deployed
 * code look like, and must keep replaying (README, "Tests and benchmarks").
 * `npm run record:histories -- <scenario>…` records only the scenarios named.
 */
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger } from '@temporalio/worker';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import OpenAI from 'openai';
import type { Run } from 'openai/resources/beta/threads/runs/runs';
import { log } from '../src/log.js';
import { historyToJSON, type History } from '../test/fixtures/history-json.js';
import { startHarness } from '../test/support/harness.js';
import { waitForRun, weatherTool } from '../test/support/runs.js';
import type { Reply } from '../test/support/scripted-llm.js';

const OUT_DIR = path.resolve(import.meta.dirname, '../test/fixtures/histories');
/** Short enough to wait out in the expiry scenario, long enough for every other run to end first. */
const RUN_EXPIRY_SECONDS = 8;

const weather = (location: string) => ({ name: 'getCurrentWeather', arguments: { location } });

interface Scenario {
  replies: Reply[];
  /** What the workflow returns at the end of this scenario's run. */
  ends: string;
  /** Creates the run and takes it to its end; returns the run (workflow) id. */
  drive(openai: OpenAI, threadId: string, assistantId: string): Promise<string>;
  /** A further property of the recorded history, so a fixture shows what it is named for. */
  shows?: (history: History) => boolean;
}

const isWaiting = (r: Run) => r.status === 'requires_action';

/** Creates a run, then submits `output` for every call each time the run asks for tool outputs. */
async function submitUntilDone(openai: OpenAI, threadId: string, assistantId: string): Promise<string> {
  let run = await openai.beta.threads.runs.createAndPoll(threadId, { assistant_id: assistantId }, { pollIntervalMs: 100 });
  while (run.status === 'requires_action') {
    const tool_outputs = run.required_action!.submit_tool_outputs.tool_calls.map((c) => ({ tool_call_id: c.id, output: `{"temperature": 68, "call": "${c.id}"}` }));
    run = await openai.beta.threads.runs.submitToolOutputsAndPoll(run.id, { thread_id: threadId, tool_outputs }, { pollIntervalMs: 100 });
  }
  return run.id;
}

async function createAndSettle(openai: OpenAI, threadId: string, assistantId: string): Promise<string> {
  return (await openai.beta.threads.runs.createAndPoll(threadId, { assistant_id: assistantId }, { pollIntervalMs: 100 })).id;
}

const SCENARIOS: Record<string, Scenario> = {
  text: { replies: [{ text: 'Sunny and 68F.' }], ends: 'completed', drive: createAndSettle },
  'tool-loop': {
    replies: [{ toolCalls: [weather('San Francisco, CA')] }, { toolCalls: [weather('Oakland, CA')] }, { text: 'Both are at 68F.' }],
    ends: 'completed',
    drive: submitUntilDone,
    shows: (h) => count(h, 'workflowExecutionUpdateAcceptedEventAttributes') === 2,
  },
  'parallel-tools': {
    replies: [{ toolCalls: [weather('San Francisco, CA'), weather('Paris')] }, { text: 'Both are at 68F.' }],
    ends: 'completed',
    drive: submitUntilDone,
  },
  expired: {
    replies: [{ toolCalls: [weather('San Francisco, CA')] }],
    ends: 'expired',
    async drive(openai, threadId, assistantId) {
      const run = await openai.beta.threads.runs.create(threadId, { assistant_id: assistantId });
      await waitForRun(openai, threadId, run.id, (r) => r.status === 'expired', (RUN_EXPIRY_SECONDS + 10) * 1000);
      return run.id;
    },
    shows: (h) => count(h, 'timerFiredEventAttributes') === 1,
  },
  'cancel-requires-action': {
    replies: [{ toolCalls: [weather('San Francisco, CA')] }],
    ends: 'cancelled',
    async drive(openai, threadId, assistantId) {
      const run = await openai.beta.threads.runs.create(threadId, { assistant_id: assistantId });
      await waitForRun(openai, threadId, run.id, isWaiting);
      await openai.beta.threads.runs.cancel(run.id, { thread_id: threadId });
      return run.id;
    },
  },
  'cancel-mid-stream': {
    replies: [{ text: 'word '.repeat(60), chunkSize: 5, delayMs: 80 }],
    ends: 'cancelled',
    async drive(openai, threadId, assistantId) {
      const stream = openai.beta.threads.runs.stream(threadId, { assistant_id: assistantId });
      let deltas = 0;
      let cancelled: Promise<Run> | undefined;
      stream.on('textDelta', () => {
        if (++deltas === 3) cancelled = openai.beta.threads.runs.cancel(stream.currentRun()!.id, { thread_id: threadId });
      });
      const run = await stream.finalRun();
      await cancelled;
      return run.id;
    },
    shows: (h) => count(h, 'activityTaskCancelRequestedEventAttributes') === 1,
  },
  failed: { replies: [{ error: { status: 400, message: 'context too long' } }], ends: 'failed', drive: createAndSettle },
  retried: {
    replies: [{ error: { status: 500 } }, { text: 'Second time lucky.' }],
    ends: 'completed',
    drive: createAndSettle,
    shows: (h) => h.events!.some((e) => e.activityTaskStartedEventAttributes?.attempt === 2),
  },
  streamed: {
    replies: [{ text: 'Sunny and 68F, streamed.', chunkSize: 4 }],
    ends: 'completed',
    async drive(openai, threadId, assistantId) {
      return (await openai.beta.threads.runs.stream(threadId, { assistant_id: assistantId }).finalRun()).id;
    },
  },
};

function count(history: History, attributes: string): number {
  return history.events!.filter((e) => (e as Record<string, unknown>)[attributes] != null).length;
}

const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !(name in SCENARIOS));
if (unknown.length) throw new Error(`unknown scenarios ${unknown.join(', ')}; known: ${Object.keys(SCENARIOS).join(', ')}`);

const quiet = log.child({ service: 'record-histories' }, { level: 'warn' });
const harness = await startHarness({
  tmpPrefix: 'assistants-record-',
  apiEnv: { RUN_EXPIRY_SECONDS: String(RUN_EXPIRY_SECONDS), LOG_LEVEL: 'warn' },
  log: quiet,
  bundleLogger: new DefaultLogger('WARN'),
});
const connection = await Connection.connect({ address: harness.stack.temporalAddress });
try {
  const temporal = new Client({ connection, namespace: 'default' });
  const openai = new OpenAI({ baseURL: harness.api.url, apiKey: 'EMPTY', maxRetries: 0 });
  await mkdir(OUT_DIR, { recursive: true });

  for (const [name, scenario] of Object.entries(SCENARIOS)) {
    if (wanted.length && !wanted.includes(name)) continue;
    const model = `replay-${name}`;
    harness.llm.script(model, scenario.replies);
    const assistant = await openai.beta.assistants.create({ model, tools: [weatherTool] });
    const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: "What's the weather?" }] });
    const runId = await scenario.drive(openai, thread.id, assistant.id);

    const handle = temporal.workflow.getHandle(runId);
    const ended = await handle.result();
    if (ended !== scenario.ends) throw new Error(`${name}: the workflow ended ${ended}, not ${scenario.ends}`);
    const history = await handle.fetchHistory();
    if (scenario.shows && !scenario.shows(history)) throw new Error(`${name}: the recorded history lacks what the scenario is for`);

    const file = path.join(OUT_DIR, `${name}.json`);
    await writeFile(file, historyToJSON(history));
    console.log(`${name}: ${history.events!.length} events → ${path.relative(process.cwd(), file)}`);
  }
} finally {
  await connection.close();
  await harness.stop();
}
