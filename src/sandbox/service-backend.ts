import { connect, type Socket } from 'node:net';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { PassThrough, Writable } from 'node:stream';
import type { SandboxBackend, SandboxLimits, SandboxProcess } from './backend.js';

function connected(socketPath: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/**
 * Sessions run by the sandbox service (service.ts) over its Unix socket (CODE_SANDBOX=service):
 * the docker-compose setup, where the worker's container has no sandbox of its own. To the
 * sessions (sessions.ts) it is a process like bubblewrap's: the session's input files, which
 * they write into `inputsDir` on the worker's side, are sent to the service before each cell.
 */
export class ServiceBackend implements SandboxBackend {
  readonly name = 'service';

  constructor(private readonly socketPath: string) {}

  async check(): Promise<void> {
    try {
      (await connected(this.socketPath)).destroy();
    } catch (err) {
      throw new Error(
        `The code interpreter's sandbox service does not answer at ${this.socketPath} (${(err as Error).message}): start it (docker-compose's sandbox service, or npm run sandbox), or set CODE_SANDBOX_SOCKET`,
      );
    }
  }

  async spawn(session: { id: string; inputsDir: string }, limits: SandboxLimits): Promise<SandboxProcess> {
    const socket = await connected(this.socketPath).catch((err: Error) => {
      throw new Error(`the sandbox service at ${this.socketPath} does not answer (${err.message})`);
    });
    const send = (value: unknown) => new Promise<void>((resolve, reject) => socket.write(JSON.stringify(value) + '\n', (err) => (err ? reject(err) : resolve())));
    await send({ open: limits });

    const replies = new PassThrough();
    let gone: ((why: string) => void) | undefined;
    const exited = new Promise<string>((resolve) => (gone = resolve));
    createInterface({ input: socket, crlfDelay: Infinity }).on('line', (line) => {
      if (line.startsWith('{"exited":')) gone!((JSON.parse(line) as { exited: string }).exited);
      else replies.write(line + '\n');
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      gone!('ended: the sandbox service closed the session');
      replies.end();
    });

    const sent = new Set<string>();
    const requests = new Writable({
      write(chunk: Buffer, _encoding, done) {
        (async () => {
          for (const name of await readdir(session.inputsDir)) {
            if (sent.has(name)) continue;
            await send({ input: { name, data: (await readFile(path.join(session.inputsDir, name))).toString('base64') } });
            sent.add(name);
          }
          // The runner's own requests, one JSON per line, as they are.
          for (const line of chunk.toString('utf8').split('\n')) if (line) await send(JSON.parse(line));
        })().then(() => done(), done);
      },
    });
    requests.on('error', () => socket.destroy());
    return { requests, replies, kill: () => socket.destroy(), exited };
  }
}
