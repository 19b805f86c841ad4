/**
 * Every recorded history (test/fixtures/histories, from `npm run record:histories`) replays
 * against the current workflow code: a change that would strand runs already in flight when it
 * deploys fails here. Replay runs in this process; nothing of the running stack is used.
 */
import { DefaultLogger, Runtime, Worker, type WorkflowBundle } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundleWorkflows, WORKFLOWS_PATH } from '../src/workflow-bundle.js';
import { historyFromJSON } from './fixtures/history-json.js';

const FIXTURES = path.resolve(import.meta.dirname, 'fixtures');
const HISTORIES = path.join(FIXTURES, 'histories');
const scenarios = (await readdir(HISTORIES)).filter((f) => f.endsWith('.json')).map((f) => path.basename(f, '.json'));

// Quiet: the bundler and the replay workers otherwise log every step at info.
const logger = new DefaultLogger('WARN');
Runtime.install({ logger, shutdownSignals: [] });

const bundle = (workflowsPath: string, traced = false): Promise<WorkflowBundle> => bundleWorkflows({ workflowsPath, traced, logger });
const replay = (workflowBundle: WorkflowBundle, scenario: string) => history(scenario).then((h) => Worker.runReplayHistory({ workflowBundle }, h, scenario));
const history = async (scenario: string) => historyFromJSON(await readFile(path.join(HISTORIES, `${scenario}.json`), 'utf8'));

describe('recorded histories replay against the current workflow code', () => {
  // Both bundles a worker may run (src/workflow-bundle.ts): the traced one's interceptors add no commands.
  const bundles: Record<'plain' | 'traced', WorkflowBundle> = {} as never;
  beforeAll(async () => {
    [bundles.plain, bundles.traced] = await Promise.all([bundle(WORKFLOWS_PATH), bundle(WORKFLOWS_PATH, true)]);
  });

  // A history deleted to make a change pass would otherwise go unnoticed.
  it('none of the recorded scenarios is missing', () => {
    expect(scenarios.sort()).toEqual(
      ['cancel-mid-stream', 'cancel-requires-action', 'expired', 'failed', 'parallel-tools', 'retried', 'streamed', 'text', 'tool-loop'],
    );
  });

  it.each(scenarios.flatMap((s) => (['plain', 'traced'] as const).map((variant) => [s, variant] as const)))('%s (%s bundle)', async (scenario, variant) => {
    // The workflow id is the run id; the run's input carries it too, so any id replays.
    await expect(replay(bundles[variant], scenario)).resolves.toBeUndefined();
  });
});

describe('the guard', () => {
  it('a workflow that issues a different first command fails to replay with a determinism violation', async () => {
    const workflowBundle = await bundle(path.join(FIXTURES, 'workflows/extra-timer.ts'));
    await expect(replay(workflowBundle, 'text')).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});
