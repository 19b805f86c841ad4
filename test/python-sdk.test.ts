/**
 * openai-python against the real stack: test/python/sdk_walkthrough.py (the walkthrough, the
 * polling helpers, streaming, pagination, errors, vector stores) asserts in Python and
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

it('drives the walkthrough, streaming, polling helpers, auto-pagination and error classes through openai-python', async () => {
  expect(existsSync(python), `${python} is missing: run node scripts/setup-venv.mjs`).toBe(true);
  const env = { ...process.env, ASSISTANTS_URL: inject('apiUrl'), SCRIPTED_LLM_URL: inject('llmUrl'), MODEL_PREFIX: uniqueModel('python') };
  // A failed check exits non-zero: execFile rejects with the exit code and the output so far.
  const { code, output } = await run(python, [`${root}test/python/sdk_walkthrough.py`], { env, timeout: 80_000 }).then(
    (r) => ({ code: 0, output: r.stdout + r.stderr }),
    (e: { code?: number | string; signal?: string; stdout?: string; stderr?: string }) => ({ code: e.code ?? e.signal, output: `${e.stdout}${e.stderr}` }),
  );
  expect(code, output).toBe(0);
  expect(output).toMatch(/^openai-python 3\.57\.0: all checks passed$/m);
}, 90_000);
