/**
 * Starts the real stack once per test run: embedded Postgres, the Temporal dev server and
 * SeaweedFS on free ports, migrations, the scripted model server, and our API and worker as
 * child processes (`./support/harness.ts`). The workflow code is bundled once and shared by every worker.
 */
import type { TestProject } from 'vitest/node';
import { startHarness } from './support/harness.js';

export default async function setup(project: TestProject) {
  const harness = await startHarness();

  project.provide('apiUrl', harness.api.url);
  project.provide('llmUrl', harness.llm.url);
  project.provide('serviceEnv', harness.env);
  project.provide('databaseUrl', harness.databaseUrl);

  return () => harness.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    apiUrl: string;
    llmUrl: string;
    serviceEnv: Record<string, string>;
    databaseUrl: string;
  }
}
