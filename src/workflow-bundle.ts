/**
 * The workflow bundle, made the one way every worker, the prebuilt bundle (`npm run
 * build:workflows`), the tests and the replay check need: the workflow code with Temporal's
 * OpenTelemetry workflow interceptors, for the workflows started traced (./tracing-workflow.ts).
 * They add no commands, so histories replay the same with or without them; a Worker on the
 * bundle registers their sink (./tracing.ts).
 */
import { bundleWorkflowCode, type BundleOptions, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import path from 'node:path';

export const WORKFLOWS_PATH = path.resolve(import.meta.dirname, '../workflows/index.ts');

const interceptors = path.resolve(import.meta.dirname, 'tracing-workflow.ts');

export function bundleWorkflows(opts: Partial<Pick<BundleOptions, 'workflowsPath' | 'logger'>> = {}): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, ...opts, workflowInterceptorModules: [interceptors] });
}
