import { chmod, mkdir, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Logger } from '../log.js';
import type { SandboxBackend, SandboxLimits, SandboxProcess } from './backend.js';

/**
 * The sandbox service (docker-compose's `sandbox`, `npm run sandbox`): sessions' interpreters
 * for workers that cannot run them themselves, over a Unix socket. The service's container
 * has no network at all; the socket sits in a volume only it and the worker mount, so the
 * worker is the one thing that reaches it. Inside, each session is the same bubblewrap sandbox
 * as on a worker (bubblewrap.ts).
 *
 * One connection is one session, one JSON per line (service-backend.ts is the other end):
 *   worker → service   {"open": SandboxLimits}                 first, once
 *                      {"input": {"name", "data": base64}}     an input file, read-only in /mnt/data
 *                      {"code": str}                           a cell, passed to the runner (runner.py)
 *   service → worker   the runner's replies, as they are
 *                      {"exited": why}                         last: the interpreter has gone
 * Closing the connection ends the interpreter and removes the session's files.
 */
export async function startSandboxService(opts: { socketPath: string; backend: SandboxBackend; dir: string; log: Logger }): Promise<{ close(): Promise<void> }> {
  const { socketPath, backend, dir, log } = opts;
  await mkdir(dir, { recursive: true });
  await mkdir(path.dirname(socketPath), { recursive: true });
  // A socket left by an earlier process refuses connections; a new one takes its place.
  await unlink(socketPath).catch(() => undefined);
  const open = new Set<Socket>();
  const server: Server = createServer((socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    void serve(socket, backend, dir, log);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  // The worker's user differs from the service's: the volume is what keeps others out.
  await chmod(socketPath, 0o666);
  log.info({ socket: socketPath, backend: backend.name }, 'sandbox service listening');
  return {
    /** Stops listening and ends every session. */
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of open) socket.destroy();
      }),
  };
}

async function serve(socket: Socket, backend: SandboxBackend, dir: string, log: Logger): Promise<void> {
  let proc: SandboxProcess | undefined;
  let inputsDir: string | undefined;
  let closed = false;
  const send = (value: unknown) => socket.writable && socket.write(JSON.stringify(value) + '\n');
  const cleanup = () => {
    closed = true;
    proc?.kill();
    if (inputsDir) void rm(inputsDir, { recursive: true, force: true });
  };
  socket.on('close', cleanup);
  socket.on('error', () => socket.destroy());

  // Lines are handled one after another: an input is written before the cell that reads it.
  let queue = Promise.resolve();
  createInterface({ input: socket, crlfDelay: Infinity }).on('line', (line) => {
    queue = queue.then(() => handle(line)).catch((err: Error) => {
      log.warn({ err: err.message }, 'sandbox session: bad request, closing it');
      socket.destroy();
    });
  });

  async function handle(line: string): Promise<void> {
    if (closed) return;
    const request = JSON.parse(line) as { open?: SandboxLimits; input?: { name: string; data: string }; code?: string };
    if (request.open) {
      if (proc) throw new Error('session already open');
      inputsDir = await mkdtemp(path.join(dir, 'session-'));
      await chmod(inputsDir, 0o755);
      proc = await backend.spawn({ id: path.basename(inputsDir), inputsDir }, request.open);
      if (closed) return proc.kill();
      createInterface({ input: proc.replies, crlfDelay: Infinity }).on('line', (reply) => socket.writable && socket.write(reply + '\n'));
      void proc.exited.then((why) => {
        send({ exited: why });
        socket.end();
      });
      return;
    }
    if (!proc || !inputsDir) throw new Error('session not open');
    if (request.input) {
      // A name, never a path (sessions.ts does the same on the worker's side).
      const file = path.join(inputsDir, path.basename(request.input.name));
      await writeFile(file, Buffer.from(request.input.data, 'base64'));
      await chmod(file, 0o444);
      return;
    }
    if (typeof request.code === 'string') {
      proc.requests.write(JSON.stringify({ code: request.code }) + '\n');
      return;
    }
    throw new Error('unknown request');
  }
}
