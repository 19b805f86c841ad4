/**
 * Section e: how fast a small payload goes from a publisher to a listener, through Postgres
 * LISTEN/NOTIFY (what src/events/ uses for token deltas) and through Redis pub/sub.
 * Latency: one payload in flight at a time (publish, wait until heard). Throughput: payloads sent
 * back to back, each send awaited as src/events/publish.ts does (one `SELECT pg_notify` per
 * payload), timed until the last is heard; and in bulk: Postgres one statement per 100 payloads,
 * Redis every PUBLISH written at once (pipelined).
 */
import { Redis } from 'ioredis';
import pg from 'pg';
import { percentile } from './lib.js';

export interface TransportResult {
  count: number;
  /** ms, one payload in flight at a time. */
  p50: number;
  p99: number;
  /** Payloads per second, sent back to back, each send awaited. */
  throughput: number;
  /** ms from send to heard, during that run. */
  burstP50: number;
  burstP99: number;
  /** Payloads per second in bulk: batched (Postgres) or pipelined (Redis). */
  bulkThroughput: number;
}

const now = () => performance.now();

/** A payload the size of a `thread.message.delta` event. */
function payload(seq: number): string {
  const data = { id: 'msg_0123456789abcdef01234567', object: 'thread.message.delta', delta: { content: [{ index: 0, type: 'text', text: { value: ' tok' } }] } };
  return `w|${JSON.stringify({ seq, event: 'thread.message.delta', data })}`;
}
const seqOf = (p: string) => (JSON.parse(p.slice(2)) as { seq: number }).seq;

/** Publishes through `send` (one) or `sendBulk` (many), hears through `heard`; shared by both transports. */
async function measure(
  count: number,
  send: (p: string) => Promise<unknown>,
  heard: (cb: (p: string) => void) => void,
  sendBulk: (ps: string[]) => Promise<unknown>,
): Promise<TransportResult> {
  let waiter: ((seq: number) => void) | undefined;
  heard((p) => waiter?.(seqOf(p)));

  // Warm-up, then latency with one in flight.
  const latencies: number[] = [];
  for (let i = -50; i < count; i++) {
    const t0 = now();
    const got = new Promise<void>((resolve) => (waiter = (seq) => seq === i && resolve()));
    await send(payload(i));
    await got;
    if (i >= 0) latencies.push(now() - t0);
  }

  const run = async (fire: (ps: string[], sentAt: number[]) => Promise<unknown>, base: number) => {
    const sentAt = new Array<number>(count);
    const heardAfter: number[] = [];
    let left = count;
    const done = new Promise<void>((resolve) => {
      waiter = (seq) => {
        const i = seq - base;
        if (i < 0 || i >= count) return;
        heardAfter.push(now() - sentAt[i]!);
        if (--left === 0) resolve();
      };
    });
    const t0 = now();
    await fire(
      Array.from({ length: count }, (_, i) => payload(base + i)),
      sentAt,
    );
    await done;
    return { throughput: count / ((now() - t0) / 1000), heardAfter };
  };

  const oneByOne = await run(async (ps, sentAt) => {
    for (const [i, p] of ps.entries()) {
      sentAt[i] = now();
      await send(p);
    }
  }, 1_000_000);
  const bulk = await run(async (ps, sentAt) => {
    sentAt.fill(now());
    await sendBulk(ps);
  }, 2_000_000);
  waiter = undefined;
  return {
    count,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    throughput: oneByOne.throughput,
    burstP50: percentile(oneByOne.heardAfter, 50),
    burstP99: percentile(oneByOne.heardAfter, 99),
    bulkThroughput: bulk.throughput,
  };
}

export async function postgresTransport(databaseUrl: string, count: number): Promise<TransportResult> {
  const listener = new pg.Client({ connectionString: databaseUrl });
  const notifier = new pg.Client({ connectionString: databaseUrl });
  await Promise.all([listener.connect(), notifier.connect()]);
  try {
    const channel = 'events_bench_transport';
    await listener.query(`LISTEN "${channel}"`);
    return await measure(
      count,
      (p) => notifier.query('SELECT pg_notify($1, $2)', [channel, p]),
      (cb) => listener.on('notification', (n) => n.channel === channel && n.payload !== undefined && cb(n.payload)),
      async (ps) => {
        for (let i = 0; i < ps.length; i += 100) await notifier.query('SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p', [channel, ps.slice(i, i + 100)]);
      },
    );
  } finally {
    await Promise.all([listener.end(), notifier.end()]);
  }
}

/** Null when no Redis answers at `url`. */
export async function redisTransport(url: string, count: number): Promise<TransportResult | null> {
  const opts = { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false };
  const subscriber = new Redis(url, opts);
  const publisher = new Redis(url, opts);
  subscriber.on('error', () => {});
  publisher.on('error', () => {});
  try {
    try {
      await Promise.all([subscriber.connect(), publisher.connect()]);
      await publisher.ping();
    } catch {
      return null;
    }
    const channel = 'events_bench_transport';
    await subscriber.subscribe(channel);
    return await measure(
      count,
      (p) => publisher.publish(channel, p),
      (cb) => subscriber.on('message', (ch: string, message: string) => ch === channel && cb(message)),
      (ps) => Promise.all(ps.map((p) => publisher.publish(channel, p))),
    );
  } finally {
    subscriber.disconnect();
    publisher.disconnect();
  }
}
