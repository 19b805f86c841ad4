/** Shapes passed between the run workflow and its activities (kept small: they go into history). */
export interface ToolOutput {
  tool_call_id: string;
  output: string;
}

export type TurnResult =
  /** The run is over, written by the model activity itself (an answer in text ends the run). */
  | { kind: 'ended'; status: string }
  /**
   * The turn's tool calls, in its `tool_calls` step: `callIds` are the client's (answered
   * through `requires_action`), `serverCalls` those the server runs itself, each as its own
   * activity. Histories recorded before server tools existed have no `serverCalls`.
   */
  | { kind: 'tool_calls'; stepId: string; callIds: string[]; serverCalls?: { id: string; timeoutMs: number }[] }
  /** Cancelled in Postgres while Temporal's cancellation is still on its way. */
  | { kind: 'cancelling' }
  /** The run's row is gone (its thread was deleted). */
  | { kind: 'gone' };
