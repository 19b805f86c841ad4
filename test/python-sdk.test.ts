/**
 * openai-python against the real stack: test/python/sdk_walkthrough.py asserts in Python and
 * exits non-zero on the first failure. The release is the one scripts/setup-venv.mjs pins.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, inject, it } from 'vitest';
import { uniqueModel } from './support/client.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const python = `${root}.venv/bin/python`;

it('drives the walkthrough, streaming, polling helpers, auto-pagination and error classes through openai-python', () => {
  expect(existsSync(python), `${python} is missing: run node scripts/setup-venv.mjs`).toBe(true);
  const result = spawnSync(python, [`${root}test/python/sdk_walkthrough.py`], {
    env: { ...process.env, ASSISTANTS_URL: inject('apiUrl'), SCRIPTED_LLM_URL: inject('llmUrl'), MODEL_PREFIX: uniqueModel('python') },
    encoding: 'utf8',
    timeout: 50_000,
  });
  const output = `${result.stdout}${result.stderr}`;
  expect(result.error, output).toBeUndefined();
  expect(result.status, output).toBe(0);
  expect(output).toMatch(/^openai-python 3\.57\.0: all checks passed$/m);
});
