import type { Db } from '../src/db/client.js';
import type { LlmConfig } from '../src/llm/index.js';
import type { Logger } from '../src/log.js';
import type { ObjectStore } from '../src/storage.js';
import { fileActivities } from './files.js';
import { modelTurnActivity } from './model-turn.js';
import { runStateActivities } from './run-state.js';
import { ToolRegistry } from './tools/registry.js';
import { serverToolActivity } from './tools/server-tool.js';

export type { RunOutcome } from '../src/run-status.js';
export type { FileActivities } from './files.js';
export type { ToolOutput, TurnResult } from './types.js';

/**
 * Every activity of the run and file expiry workflows, bound to the worker's connections.
 * `tools` holds the server-side tools runs may use (none are built in yet: file_search and
 * code_interpreter arrive as entries of it).
 */
export function createActivities(db: Db, storage: ObjectStore, llm: LlmConfig, log: Logger, tools = new ToolRegistry()) {
  const { loadRun, beginTurn, requireAction, recordToolOutputs, completeToolStep, finishRun } = runStateActivities(db);
  return {
    requireAction,
    recordToolOutputs,
    completeToolStep,
    finishRun,
    modelTurn: modelTurnActivity(db, llm, log, tools, { loadRun, beginTurn }),
    serverToolCall: serverToolActivity(db, tools, log),
    ...fileActivities({ db, storage }),
  };
}

export type RunActivities = ReturnType<typeof createActivities>;
