import type { RunStatus } from 'openai/resources/beta/threads/runs/runs';

/**
 * The run lifecycle (docs/wire-contract.md §3), in one place: the API and the activities that
 * write statuses both ask here, and every status write is guarded by it (`transitionSql` in
 * src/db/runs.ts), so a late or repeated write can never move a run backwards.
 */
export type { RunStatus };

export const ACTIVE_STATUSES = ['queued', 'in_progress', 'requires_action', 'cancelling'] as const satisfies readonly RunStatus[];
export const TERMINAL_STATUSES = ['completed', 'failed', 'cancelled', 'expired', 'incomplete'] as const satisfies readonly RunStatus[];

const TRANSITIONS: Record<RunStatus, readonly RunStatus[]> = {
  queued: ['in_progress', 'cancelling', 'cancelled', 'failed', 'expired'],
  in_progress: ['requires_action', 'completed', 'failed', 'incomplete', 'cancelling', 'cancelled', 'expired'],
  requires_action: ['queued', 'cancelling', 'cancelled', 'expired', 'failed'],
  // Cancellation is best effort: a run may still finish while it is being cancelled.
  cancelling: ['cancelled', 'completed', 'failed', 'incomplete', 'expired'],
  completed: [],
  failed: [],
  cancelled: [],
  expired: [],
  incomplete: [],
};

export function canTransition(from: RunStatus, to: RunStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** The statuses a run may be in for it to move to `to`. */
export function sourcesOf(to: RunStatus): RunStatus[] {
  return (Object.keys(TRANSITIONS) as RunStatus[]).filter((from) => canTransition(from, to));
}

export const isTerminal = (s: string): boolean => (TERMINAL_STATUSES as readonly string[]).includes(s);

/** How a run ends, as the workflow and the model activity decide it. */
export type RunOutcome =
  | { status: 'completed' }
  | { status: 'failed'; error: { code: string; message: string } }
  | { status: 'cancelled' }
  | { status: 'expired' }
  | { status: 'incomplete'; reason: 'max_completion_tokens' | 'max_prompt_tokens' };
