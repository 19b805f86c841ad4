/** Shapes passed between the run workflow and its activities (kept small: they go into history). */
export interface ToolOutput {
  tool_call_id: string;
  output: string;
}

export type TurnResult =
  /** The run is over, written by the model activity itself (an answer in text ends the run). */
  | { kind: 'ended'; status: string }
  | { kind: 'tool_calls'; stepId: string; callIds: string[] }
  /** Cancelled in Postgres while Temporal's cancellation is still on its way. */
  | { kind: 'cancelling' }
  /** The run's row is gone (its thread was deleted). */
  | { kind: 'gone' };

export type RunOutcome =
  | { status: 'completed' }
  | { status: 'failed'; error: { code: string; message: string } }
  | { status: 'cancelled' }
  | { status: 'expired' }
  | { status: 'incomplete'; reason: 'max_completion_tokens' | 'max_prompt_tokens' };

/** Token usage as steps and runs carry it on the wire. */
export type Usage = { prompt_tokens: number; completion_tokens: number; total_tokens: number };
export const zeroUsage: Usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
