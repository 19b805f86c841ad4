/** Reading a workflow's history for timings: when each event happened, by its kind. */
import type { Client } from '@temporalio/client';

export interface TimedEvent {
  /** `workflowTaskStarted`, `activityTaskScheduled`, `timerFired`, … */
  kind: string;
  /** Wall-clock ms (the server's clock: this machine's). */
  at: number;
  /** The activity's name, for activity events. */
  activity?: string;
}

type Ts = { seconds?: unknown; nanos?: number | null } | null | undefined;
type RawEvent = Record<string, unknown> & { eventTime?: Ts; eventId?: unknown };

function ms(ts: Ts): number {
  const s = ts?.seconds as { toNumber?: () => number } | number | string | null | undefined;
  const seconds = typeof s === 'object' && s?.toNumber ? s.toNumber() : Number(s ?? 0);
  return seconds * 1000 + (ts?.nanos ?? 0) / 1e6;
}

export async function timedHistory(client: Client, workflowId: string): Promise<TimedEvent[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const events = (history.events ?? []) as unknown as RawEvent[];
  const activityNames = new Map<string, string>();
  return events.map((e) => {
    const key = Object.keys(e).find((k) => k.endsWith('EventAttributes') && e[k]) ?? 'unknown';
    const attrs = e[key] as Record<string, unknown>;
    let activity: string | undefined;
    if (key === 'activityTaskScheduledEventAttributes') {
      activity = (attrs.activityType as { name?: string } | undefined)?.name ?? undefined;
      activityNames.set(String(e.eventId), activity ?? '?');
    } else if (attrs && 'scheduledEventId' in attrs && key.startsWith('activityTask')) {
      activity = activityNames.get(String(attrs.scheduledEventId));
    }
    return { kind: key.replace(/EventAttributes$/, ''), at: ms(e.eventTime), activity };
  });
}

/** `+12.3 workflowTaskStarted`, … relative to `t0`, one line. */
export function timeline(events: TimedEvent[], t0: number): string {
  return events.map((e) => `+${(e.at - t0).toFixed(0)} ${e.kind.replace(/^workflowExecution/, 'wf').replace(/^workflowTask/, 'wft').replace(/^activityTask/, 'act')}${e.activity ? `(${e.activity})` : ''}`).join(', ');
}
