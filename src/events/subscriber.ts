import pg from 'pg';
import type { Logger } from '../log.js';
import type { StreamEvent } from '../wire/stream-events.js';
import { channelOf, EventDecoder } from './publish.js';

/** A run's events as they arrive, buffered until read. */
export interface Subscription extends AsyncIterable<StreamEvent> {
  close(): Promise<void>;
}

/** How long a LISTEN connection attempt may take before the stream's request fails. */
const CONNECT_TIMEOUT_MS = 5_000;
const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5_000;

export type ListenerState = 'up' | 'connecting' | 'down';

/**
 * One LISTEN connection per API process, shared by every open stream: a stream LISTENs to its
 * run's channel before the run starts (or resumes), so it misses nothing.
 *
 * A failed attempt is never kept: the next stream connects afresh. When the connection drops
 * (a Postgres restart), open streams end with the interrupted event (their runs go on) and the
 * connection is re-made in the background with capped exponential backoff, so the first stream
 * after the outage finds it up and readiness (/health/ready) reflects it.
 */
export class RunEventSubscriber {
  private client?: Promise<pg.Client>;
  private readonly listeners = new Map<string, Set<Queue>>();
  private readonly decoder = new EventDecoder();
  private connected = false;
  private closed = false;
  private reconnectTimer?: NodeJS.Timeout;

  constructor(
    private readonly databaseUrl: string,
    private readonly log: Logger,
  ) {}

  /** For readiness: whether the LISTEN connection is up right now. */
  get state(): ListenerState {
    if (this.connected) return 'up';
    return this.client || this.reconnectTimer ? 'connecting' : 'down';
  }

  /**
   * Connects eagerly, so the API is ready when it says so; settles once the first attempt has
   * (a failed one only logs and keeps retrying in the background, as readiness then reports).
   */
  async start(): Promise<void> {
    await this.connect().then(
      () => {},
      (err: unknown) => this.scheduleReconnect(err, RECONNECT_MIN_MS),
    );
  }

  private connect(): Promise<pg.Client> {
    this.client ??= this.open().catch((err: unknown) => {
      this.client = undefined;
      throw err;
    });
    return this.client;
  }

  private async open(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: this.databaseUrl, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, keepAlive: true });
    client.on('notification', (n) => {
      const event = n.payload === undefined ? undefined : this.decoder.decode(n.payload);
      if (event) for (const q of this.listeners.get(n.channel) ?? []) q.push(event);
    });
    let lost = false;
    const onLost = (err: unknown) => {
      if (lost) return;
      lost = true;
      this.connected = false;
      this.client = undefined;
      for (const queues of this.listeners.values()) for (const q of queues) q.fail(err);
      this.listeners.clear();
      client.end().catch(() => {});
      if (!this.closed) this.scheduleReconnect(err, RECONNECT_MIN_MS);
    };
    client.on('error', onLost);
    client.on('end', () => onLost(new Error('event connection ended')));
    await client.connect();
    this.connected = true;
    this.log.info('event connection up');
    return client;
  }

  private scheduleReconnect(err: unknown, delayMs: number): void {
    if (this.closed || this.reconnectTimer) return;
    this.log.warn({ err, retry_in_ms: delayMs }, 'event connection down; reconnecting');
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.closed || this.client) return;
      this.connect().catch((e: unknown) => this.scheduleReconnect(e, Math.min(delayMs * 2, RECONNECT_MAX_MS)));
    }, delayMs);
    this.reconnectTimer.unref();
  }

  async subscribe(runId: string): Promise<Subscription> {
    const channel = channelOf(runId);
    const client = await this.connect();
    const queue = new Queue();
    let set = this.listeners.get(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
      try {
        await client.query(`LISTEN ${client.escapeIdentifier(channel)}`);
      } catch (err) {
        this.listeners.delete(channel);
        throw err;
      }
    }
    set.add(queue);
    return {
      [Symbol.asyncIterator]: () => queue,
      close: async () => {
        queue.end();
        set.delete(queue);
        if (set.size === 0 && this.listeners.get(channel) === set) {
          this.listeners.delete(channel);
          await client.query(`UNLISTEN ${client.escapeIdentifier(channel)}`).catch(() => {});
        }
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const client = await this.client?.catch(() => undefined);
    this.client = undefined;
    this.connected = false;
    await client?.end();
  }
}

/** An unbounded async queue: events wait here while the stream writes earlier ones. */
class Queue implements AsyncIterator<StreamEvent> {
  private readonly items: StreamEvent[] = [];
  private waiting?: { resolve: (r: IteratorResult<StreamEvent>) => void; reject: (e: unknown) => void };
  private error?: unknown;
  private done = false;

  push(e: StreamEvent) {
    if (this.waiting) {
      this.waiting.resolve({ value: e, done: false });
      this.waiting = undefined;
    } else this.items.push(e);
  }

  fail(err: unknown) {
    this.error = err;
    this.waiting?.reject(err);
    this.waiting = undefined;
  }

  end() {
    this.done = true;
    this.waiting?.resolve({ value: undefined, done: true });
    this.waiting = undefined;
  }

  next(): Promise<IteratorResult<StreamEvent>> {
    const item = this.items.shift();
    if (item) return Promise.resolve({ value: item, done: false });
    if (this.error) return Promise.reject(this.error);
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }
}
