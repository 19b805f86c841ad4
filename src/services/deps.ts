import type { Client } from '@temporalio/client';
import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import type { Embedder } from '../embeddings.js';
import type { RunEventSubscriber } from '../events/subscriber.js';
import type { Logger } from '../log.js';
import type { ObjectStore } from '../storage.js';
import type { Authenticator } from '../tenancy/authenticator.js';
import type { Owners } from './ownership.js';

/** What the services need from the process: built once at start. */
export interface AppDeps {
  db: Db;
  temporal: Client;
  config: Config;
  log: Logger;
  events: RunEventSubscriber;
  /** The S3 bucket file content lives in. */
  storage: ObjectStore;
  /** The embeddings endpoint search queries are embedded with. */
  embedder: Embedder;
  authenticator: Authenticator;
  owners: Owners;
}

/** A request's: the process's, and the project it acts for (everything it makes, lists or names is that project's). */
export interface Deps extends AppDeps {
  projectId: string;
  /** The project's cap on active runs and responses, when it has one (set by src/http/rate-limits.ts). */
  maxActiveRuns?: number;
}
