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

/** How a response's turn went (workflows/response.ts). */
export type ResponseTurnResult =
  | Extract<TurnResult, { kind: 'ended' | 'gone' }>
  /**
   * The turn called server tools (their output items, by id): the workflow runs each as its
   * own activity, then the next turn — or, when the turn also called the client's functions
   * (`thenComplete`), completes the response for the client to answer them.
   */
  | { kind: 'server_tools'; calls: { itemId: string; timeoutMs: number }[]; thenComplete: boolean };
