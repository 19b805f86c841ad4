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

/** `+12.3 workflowTaskStarted`, … relative to `t0` (on the wall clock, as the events are), one line. */
export function timeline(events: TimedEvent[], t0: number): string {
  return events.map((e) => `+${(e.at - t0).toFixed(0)} ${e.kind.replace(/^workflowExecution/, 'wf').replace(/^workflowTask/, 'wft').replace(/^activityTask/, 'act')}${e.activity ? `(${e.activity})` : ''}`).join(', ');
}

/** One latency sample's moments, ms from its request: the workflow's from its history, the rest as measured. */
export interface PhaseSample {
  events: TimedEvent[];
  /** The request's moment on the wall clock, as the events' times are. */
  t0: number;
  /** When the model got the request. */
  arrival: number;
  /** When the measured thing happened: the first content (c) or the end (d). */
  done: number;
}

/**
 * Where one sample's time went, phase by phase: to the start Temporal recorded, from there to
 * the first activity's start (Temporal's own work plus the worker's first task), to the model
 * request, and from the model's answer (`modelMs` after the request) to what is measured.
 * NaN where the history lacks an event.
 */
export function phasesOf({ events, t0, arrival, done }: PhaseSample, modelMs: number): number[] {
  const at = (kind: string) => (events.find((e) => e.kind === kind)?.at ?? NaN) - t0;
  const started = at('workflowExecutionStarted');
  const activity = at('activityTaskStarted');
  return [started, activity - started, arrival - activity, done - arrival - modelMs];
}

export const PHASES = ['request → start recorded by Temporal', 'start → first activity starts', 'activity starts → model gets the request', 'model answers → measured moment'];
