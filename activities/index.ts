import type { Db } from '../src/db/client.js';
import type { Logger } from '../src/log.js';
import { modelTurnActivity } from './model-turn.js';
import { runStateActivities } from './run-state.js';
import { responseStateActivities } from './response-state.js';
import { responseTurnActivity } from './response-turn.js';
import { serverTools, ToolRegistry } from './tools/registry.js';
import { serverToolActivity } from './tools/server-tool.js';
import type { ModelTurnConfig } from './turn/drive.js';

export type { RunOutcome } from '../src/run-status.js';
export type { ToolOutput, TurnResult } from './types.js';
export type { ResponseEnd } from './response-state.js';

/**
 * Every activity of the run and response workflows, bound to the worker's connections. `tools` holds the
 * server-side tools runs may use (none are built in yet: file_search and code_interpreter
 * arrive as entries of it).
 */
export function createActivities(db: Db, llm: ModelTurnConfig, log: Logger, tools = new ToolRegistry(serverTools)) {
  const { loadRun, beginTurn, requireAction, recordToolOutputs, completeToolStep, finishRun } = runStateActivities(db);
  const { beginResponse, finishResponse } = responseStateActivities(db);
  return {
    requireAction,
    recordToolOutputs,
    completeToolStep,
    finishRun,
    modelTurn: modelTurnActivity(db, llm, log, tools, { loadRun, beginTurn }),
    serverToolCall: serverToolActivity(db, tools, log),
    // The response workflow's (workflows/response.ts).
    responseTurn: responseTurnActivity(db, llm, log, tools, beginResponse),
    finishResponse,
  };
}

export type RunActivities = ReturnType<typeof createActivities>;
