import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StackError } from './errors.js';

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface DataDirLock {
  /** The last owner died without releasing the lock: its children may still be running. */
  ownerDied: boolean;
  release(): Promise<void>;
}

/**
 * One stack per data directory: two would share a Postgres cluster, a SQLite file and
 * SeaweedFS volumes. The owner's pid is kept in `${dataDir}/stack.pid`.
 */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const file = join(dataDir, 'stack.pid');
  const owner = Number(await readFile(file, 'utf8').catch(() => ''));
  const busy = () =>
    new StackError(`Another process (pid ${owner}) runs the local stack in ${dataDir}: stop it, or set DATA_DIR to another directory`);
  if (owner && isAlive(owner)) throw busy();
  await rm(file, { force: true });
  try {
    await writeFile(file, `${process.pid}\n`, { flag: 'wx' });
  } catch {
    throw busy();
  }
  return { ownerDied: owner > 0, release: () => rm(file, { force: true }) };
}
