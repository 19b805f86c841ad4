import type { Db } from '../src/db/client.js';
import type { Logger } from '../src/log.js';
import type { ObjectStore } from '../src/storage.js';
import type { Embedder } from '../src/embeddings.js';
import { fileActivities } from './files.js';
import { ingestActivities } from './ingest.js';
import { modelTurnActivity } from './model-turn.js';
import { runStateActivities } from './run-state.js';
import { responseStateActivities } from './response-state.js';
import { responseTurnActivity } from './response-turn.js';
import { ToolRegistry } from './tools/registry.js';
import { responseToolActivity } from './tools/response-tool.js';
import { serverToolActivity } from './tools/server-tool.js';
import type { ModelTurnConfig } from './turn/drive.js';
import { vectorStoreActivities } from './vector-stores.js';

export type { RunOutcome } from '../src/run-status.js';
export type { FileActivities } from './files.js';
export type { IngestActivities, IngestOutcome, IngestRef } from './ingest.js';
export type { VectorStoreActivities } from './vector-stores.js';
export type { ResponseTurnResult, ToolOutput, TurnResult } from './types.js';
export type { ResponseEnd } from './response-state.js';

/**
 * Every activity of the run, response and expiry workflows, bound to the worker's
 * connections. `tools` holds the server-side tools runs may use.
 */
export function createActivities(db: Db, storage: ObjectStore, llm: ModelTurnConfig, log: Logger, tools = new ToolRegistry()) {
  const { loadRun, beginTurn, requireAction, recordToolOutputs, completeToolStep, finishRun } = runStateActivities(db);
  const { beginResponse, finishResponse } = responseStateActivities(db);
  return {
    requireAction,
    recordToolOutputs,
    completeToolStep,
    finishRun,
    modelTurn: modelTurnActivity(db, llm, log, tools, { loadRun, beginTurn, finishRun }),
    serverToolCall: serverToolActivity(db, tools, log),
    // The response workflow's (workflows/response.ts).
    responseTurn: responseTurnActivity(db, llm, log, tools, beginResponse),
    responseToolCall: responseToolActivity(db, tools, log),
    finishResponse,
    ...fileActivities({ db, storage }),
    ...vectorStoreActivities(db, log),
  };
}

export type RunActivities = ReturnType<typeof createActivities>;

/** The ingestion workflow's activities, for the worker on the ingestion task queue. */
export function createIngestActivities(db: Db, storage: ObjectStore, embedder: Embedder, log: Logger) {
  return ingestActivities({ db, storage }, embedder, log);
}
