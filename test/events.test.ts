import { describe, expect, inject, it } from 'vitest';
import { createDb } from '../src/db/client.js';
import { publish } from '../src/events/publish.js';
import { RunEventSubscriber } from '../src/events/subscriber.js';
import { log } from '../src/log.js';
import type { StreamEvent } from '../src/wire/stream-events.js';

/** The transport carries whatever payload it is given; these need not be whole snapshots. */
const ev = (event: string, data: unknown) => ({ event, data }) as StreamEvent;

/** The event path on its own: Postgres NOTIFY from a publisher, LISTEN in a subscriber. */
describe('run events over Postgres NOTIFY', () => {
  it('delivers events in order, reassembles ones larger than a NOTIFY payload, and quotes odd channel names', async () => {
    const db = createDb(inject('databaseUrl'), 2);
    const subscriber = new RunEventSubscriber(inject('databaseUrl'), log);
    try {
      const runId = `run_odd"name ${Date.now()}`;
      const subscription = await subscriber.subscribe(runId);
      const big = 'é€😀x'.repeat(6_000); // ~45 kB of UTF-8, several NOTIFY payloads
      const sent = [ev('thread.run.in_progress', { id: runId }), ev('thread.message.completed', { text: big }), ev('thread.message.delta', { n: 1 })];
      await db.$transaction((tx) => publish(tx, runId, sent.slice(0, 2)));
      await publish(db, runId, sent.slice(2));
      const got: StreamEvent[] = [];
      for await (const e of subscription) {
        got.push(e);
        if (got.length === sent.length) break;
      }
      expect(got).toEqual(sent);
      await subscription.close();
    } finally {
      await subscriber.close();
      await db.$disconnect();
    }
  });

  it('a subscriber hears only its own run', async () => {
    const db = createDb(inject('databaseUrl'), 2);
    const subscriber = new RunEventSubscriber(inject('databaseUrl'), log);
    try {
      const mine = await subscriber.subscribe('run_mine');
      await publish(db, 'run_other', [ev('x', 1)]);
      await publish(db, 'run_mine', [ev('y', 2)]);
      const first = await mine[Symbol.asyncIterator]().next();
      expect(first.value).toEqual({ event: 'y', data: 2 });
      await mine.close();
    } finally {
      await subscriber.close();
      await db.$disconnect();
    }
  });
});
