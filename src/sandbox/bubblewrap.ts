import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { projectFile } from '../project-files.js';
import { runnerLimits, type SandboxBackend, type SandboxLimits, type SandboxProcess } from './backend.js';

/** runner.py and seccomp_filter.py, beside this file's source. */
const HERE = projectFile('src', 'sandbox');
/** Debian's own interpreter: libseccomp's bindings (python3-seccomp) are installed for it. */
const SYSTEM_PYTHON = '/usr/bin/python3';
/** The unprivileged uid a root worker drops to (nobody); a non-root worker's sandbox runs as itself. */
const SANDBOX_UID = 65534;

function missing(what: string, fix: string): Error {
  return new Error(`The code interpreter's sandbox needs ${what}: ${fix}`);
}

/**
 * Each session's interpreter in its own bubblewrap sandbox: every namespace unshared (no
 * network device but a loopback of its own), no capabilities, no further user namespaces, an
 * unprivileged uid, `/usr` and the sandbox's venv read-only, private size-limited tmpfs for
 * `/tmp` and `/mnt/data`, the inputs read-only, libseccomp's filter (seccomp_filter.py), and
 * rlimits set by the runner before it reads any code. It dies with the worker.
 */
export class BubblewrapBackend implements SandboxBackend {
  readonly name = 'bubblewrap';
  #filter?: string;

  constructor(private readonly venv: string) {}

  async check(): Promise<void> {
    if (spawnSync('bwrap', ['--version']).error) throw missing('bubblewrap', 'apt-get install bubblewrap');
    if (!existsSync(path.join(this.venv, 'bin/python'))) throw missing(`its Python venv at ${this.venv}`, 'npm install (scripts/setup-venv.mjs makes it), or set CODE_SANDBOX_VENV');
    const filter = path.join(mkdtempSync(path.join(tmpdir(), 'code-seccomp-')), 'filter.bpf');
    const made = spawnSync(SYSTEM_PYTHON, [path.join(HERE, 'seccomp_filter.py'), filter], { encoding: 'utf8' });
    if (made.status !== 0) throw missing('libseccomp for Python', `apt-get install python3-seccomp (${(made.stderr || String(made.error)).trim().split('\n').pop()})`);
    this.#filter = filter;
  }

  async spawn(session: { id: string; inputsDir: string }, limits: SandboxLimits): Promise<SandboxProcess> {
    if (!this.#filter) await this.check();
    // Passed as open descriptors, so no directory above them needs to be searchable by the sandbox's uid.
    const fds = [this.#filter!, this.venv, path.join(HERE, 'runner.py'), session.inputsDir].map((p) => openSync(p, 'r'));
    const [seccomp, venv, runner, inputs] = [4, 5, 6, 7];
    const tmpfs = (dest: string) => ['--size', String(limits.diskMb * 2 ** 20), '--perms', '1777', '--tmpfs', dest];
    const args = [
      '--unshare-all', '--unshare-user', '--disable-userns', '--die-with-parent', '--new-session', '--cap-drop', 'ALL',
      '--ro-bind', '/usr', '/usr',
      ...['lib', 'lib64', 'bin'].flatMap((d) => ['--symlink', `usr/${d}`, `/${d}`]),
      '--proc', '/proc', '--dev', '/dev',
      ...tmpfs('/tmp'), ...tmpfs('/mnt/data'),
      '--ro-bind-fd', String(venv), '/opt/venv',
      '--ro-bind-fd', String(runner), '/opt/runner.py',
      '--ro-bind-fd', String(inputs), '/mnt/inputs',
      '--clearenv', '--setenv', 'HOME', '/tmp', '--setenv', 'PATH', '/opt/venv/bin:/usr/bin',
      '--setenv', 'MPLBACKEND', 'Agg', '--setenv', 'MPLCONFIGDIR', '/tmp', '--setenv', 'OPENBLAS_NUM_THREADS', '1',
      '--setenv', 'PYTHONDONTWRITEBYTECODE', '1', '--setenv', 'PYTHONUNBUFFERED', '1',
      '--seccomp', String(seccomp),
      '--', '/opt/venv/bin/python', '/opt/runner.py', runnerLimits(limits),
    ];
    const asRoot = process.getuid?.() === 0;
    const child = spawn('bwrap', args, {
      stdio: ['pipe', 'ignore', 'pipe', 'pipe', ...fds],
      // Not the worker's environment: the sandbox's pid 1 is a bwrap process, and /proc shows its environ.
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      ...(asRoot ? { uid: SANDBOX_UID, gid: SANDBOX_UID } : {}),
    });
    for (const fd of fds) closeSync(fd);
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-2000)));
    const exited = new Promise<string>((resolve) => {
      child.on('error', (e) => resolve(`could not start bwrap: ${e.message}`));
      child.on('exit', (code, signal) => resolve(`exited (${signal ?? `code ${code}`})${stderr ? `: ${stderr.trim()}` : ''}`));
    });
    return {
      requests: child.stdin as Writable,
      replies: child.stdio[3] as Readable,
      kill: () => child.kill('SIGKILL'),
      exited,
    };
  }
}
