import { createServer, type Server } from 'node:net';
import { StackError } from './errors.js';

const HOST = '127.0.0.1';

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port, host: HOST, exclusive: true }, () => resolve(server));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** True when nothing listens on 127.0.0.1:port (nor on 0.0.0.0:port, which would also clash). */
export async function isPortFree(port: number): Promise<boolean> {
  try {
    await close(await listen(port));
    return true;
  } catch {
    return false;
  }
}

/** Fails before anything starts, so the user reads which setting to change rather than a child's bind error. */
export async function assertPortFree(port: number, what: string, envVar: string): Promise<void> {
  if (!(await isPortFree(port))) {
    throw new StackError(`Port ${port} (${what}) is in use: set ${envVar} to a free port or stop what is using it`);
  }
}

// Below the kernels' ephemeral ranges (Linux 32768+, macOS and Windows 49152+): the OS hands
// those out as local ports of outgoing connections and to `listen(0)` elsewhere, so a port taken
// from there can be gone by the time a stack restarts on it.
const PICK_FROM = 20_000;
const PICK_TO = 32_767;

/** `count` distinct free ports outside the ephemeral range; all are held until every one is chosen. */
export async function freePorts(count: number): Promise<number[]> {
  const held = new Map<number, Server>();
  try {
    for (let tries = 0; held.size < count; tries++) {
      if (tries > 1_000) throw new Error(`no ${count} free ports in ${PICK_FROM}-${PICK_TO}`);
      const port = PICK_FROM + Math.floor(Math.random() * (PICK_TO - PICK_FROM + 1));
      if (held.has(port)) continue;
      const server = await listen(port).catch(() => null);
      if (server) held.set(port, server);
    }
    return [...held.keys()];
  } finally {
    await Promise.all([...held.values()].map(close));
  }
}

export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port!;
}
