import type { Db } from '../src/db/client.js';
import type { LlmConfig } from '../src/llm/index.js';
import type { Logger } from '../src/log.js';
import { modelTurnActivity } from './model-turn.js';
import { runStateActivities } from './run-state.js';

export type { RunOutcome, ToolOutput, TurnResult } from './types.js';

/** Every activity of the run workflow, bound to the worker's connections. */
export function createActivities(db: Db, llm: LlmConfig, log: Logger) {
  const { loadRun, beginTurn, requireAction, recordToolOutputs, finishRun } = runStateActivities(db);
  return { requireAction, recordToolOutputs, finishRun, modelTurn: modelTurnActivity(db, llm, log, { loadRun, beginTurn }) };
}

export type RunActivities = ReturnType<typeof createActivities>;
