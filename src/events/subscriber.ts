import pg from 'pg';
import type { Logger } from '../log.js';
import type { StreamEvent } from '../wire/stream-events.js';
import { channelOf, EventDecoder } from './publish.js';

/** A run's events as they arrive, buffered until read. */
export interface Subscription extends AsyncIterable<StreamEvent> {
  close(): Promise<void>;
}

/**
 * One LISTEN connection per API process, shared by every open stream: a stream LISTENs to its
 * run's channel before the run starts (or resumes), so it misses nothing.
 */
export class RunEventSubscriber {
  private client?: Promise<pg.Client>;
  private readonly listeners = new Map<string, Set<Queue>>();
  private readonly decoder = new EventDecoder();

  constructor(
    private readonly databaseUrl: string,
    private readonly log: Logger,
  ) {}

  private connect(): Promise<pg.Client> {
    this.client ??= (async () => {
      const client = new pg.Client({ connectionString: this.databaseUrl });
      client.on('notification', (n) => {
        const event = n.payload === undefined ? undefined : this.decoder.decode(n.payload);
        if (event) for (const q of this.listeners.get(n.channel) ?? []) q.push(event);
      });
      client.on('error', (err) => {
        this.log.error({ err }, 'event connection lost');
        this.client = undefined;
        for (const queues of this.listeners.values()) for (const q of queues) q.fail(err);
        this.listeners.clear();
      });
      await client.connect();
      return client;
    })();
    return this.client;
  }

  async subscribe(runId: string): Promise<Subscription> {
    const channel = channelOf(runId);
    const client = await this.connect();
    const queue = new Queue();
    let set = this.listeners.get(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
      await client.query(`LISTEN ${client.escapeIdentifier(channel)}`);
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
    const client = await this.client?.catch(() => undefined);
    this.client = undefined;
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
