/**
 * Runs the Open Responses compliance suite (bin/compliance-test.ts of a checkout of
 * openresponses/openresponses, which is not part of this repo) against our server on the test
 * stack, answered by the scripted model server:
 *
 *   npx tsx scripts/open-responses-compliance.ts <openresponses checkout> [suite options, e.g. --filter basic-response]
 *
 * The checkout needs its own `zod` 3 (`npm install zod@^3.25.76` there); its generated Kubb
 * schemas and SSE parser are used as they are. The scripted model makes the suite's run
 * deterministic and offline: a request that offers tools and has no tool result yet gets a call
 * of the first tool (string arguments filled in), every other one a short text. What is checked
 * is therefore our wire (schemas, events, statuses, round trips), not what a model says.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { log } from '../src/log.js';
import { startHarness } from '../test/support/harness.js';
import type { Reply } from '../test/support/scripted-llm.js';

const [checkout, ...suiteArgs] = process.argv.slice(2);
if (!checkout || !existsSync(path.join(checkout, 'bin/compliance-test.ts'))) {
  console.error('usage: tsx scripts/open-responses-compliance.ts <openresponses checkout> [suite options]');
  process.exit(2);
}

type Body = { tools?: { function?: { name: string; parameters?: { properties?: Record<string, { type?: string }> } } }[]; messages?: { role: string }[] };

/** A call of the first offered tool until a tool result is there, then text. */
function reply(req: Body): Reply {
  const tool = req.tools?.[0]?.function;
  const answered = req.messages?.some((m) => m.role === 'tool');
  if (!tool || answered) return { text: 'Hello from the scripted model: 1, 2, 3, 4, 5.', chunkSize: 8 };
  const args = Object.fromEntries(Object.entries(tool.parameters?.properties ?? {}).map(([k, p]) => [k, p.type === 'string' ? 'San Francisco, CA' : 1]));
  return { toolCalls: [{ name: tool.name, arguments: args }] };
}

const harness = await startHarness({ log: log.child({ service: 'compliance-stack' }), tmpPrefix: 'assistants-compliance-' });
let code = 1;
try {
  harness.llm.setDefault((req) => reply(req as Body));
  const tsx = path.resolve(import.meta.dirname, '../node_modules/.bin/tsx');
  const args = ['bin/compliance-test.ts', '--base-url', `${harness.api.url}/v1`, '--api-key', 'EMPTY', '--model', 'scripted-compliance', ...suiteArgs];
  // The suite's WebSocket tests want a global WebSocket, which Node 20 has behind a flag.
  const env = { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --experimental-websocket`.trim() };
  const child = spawn(tsx, args, { cwd: checkout, stdio: 'inherit', env });
  code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
} finally {
  await harness.stop();
}
process.exit(code);
