/**
 * openai-python against the real stack: each script under test/python asserts in Python and
 * exits non-zero on the first failure. The release is the one scripts/setup-venv.mjs pins.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, inject, it } from 'vitest';
import { uniqueModel } from './support/client.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const python = `${root}.venv/bin/python`;
const run = promisify(execFile);

/** Runs one script to its end; a failed check exits non-zero, and execFile rejects with the output so far. */
async function walk(script: string): Promise<string> {
  expect(existsSync(python), `${python} is missing: run node scripts/setup-venv.mjs`).toBe(true);
  const env = { ...process.env, ASSISTANTS_URL: inject('apiUrl'), SCRIPTED_LLM_URL: inject('llmUrl'), MODEL_PREFIX: uniqueModel('python') };
  const { code, output } = await run(python, [`${root}test/python/${script}`], { env, timeout: 80_000 }).then(
    (r) => ({ code: 0, output: r.stdout + r.stderr }),
    (e: { code?: number | string; signal?: string; stdout?: string; stderr?: string }) => ({ code: e.code ?? e.signal, output: `${e.stdout}${e.stderr}` }),
  );
  expect(code, output).toBe(0);
  return output;
}

it('drives the walkthrough, streaming, polling helpers, auto-pagination, error classes and vector stores through openai-python', async () => {
  expect(await walk('sdk_walkthrough.py')).toMatch(/^openai-python 3\.57\.0: all checks passed$/m);
}, 90_000);

it('drives Responses and Conversations through openai-python: create, stream, function calls, conversations, background, code_interpreter, errors', async () => {
  const output = await walk('responses_walkthrough.py');
  expect(output.match(/^ok \w+/gm)).toEqual(['ok create_and_retrieve', 'ok streaming', 'ok function_calling', 'ok conversations', 'ok background', 'ok code_interpreter', 'ok errors']);
  expect(output).toMatch(/^openai-python 3\.57\.0: all Responses checks passed$/m);
}, 90_000);
