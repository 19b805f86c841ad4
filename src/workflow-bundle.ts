/**
 * The workflow bundle, made the one way every worker, the prebuilt bundles (`npm run
 * build:workflows`), the tests and the replay check need. A worker whose tracing is on takes
 * the traced variant: the workflow code with Temporal's OpenTelemetry workflow interceptors, for
 * the workflows started traced (./tracing-workflow.ts). Any other worker takes the plain one:
 * carried idle, the interceptors' modules still cost every new workflow ~3 ms (bench c, d).
 * They add no commands, so a history replays the same on either; a Worker on the traced
 * bundle registers their sink (./tracing.ts).
 */
import { bundleWorkflowCode, type BundleOptions, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { projectFile } from './project-files.js';

// The sources, from src/ and from dist/src/ alike: webpack compiles them itself.
export const WORKFLOWS_PATH = projectFile('workflows', 'index.ts');

const interceptors = projectFile('src', 'tracing-workflow.ts');

export interface BundleChoice extends Partial<Pick<BundleOptions, 'workflowsPath' | 'logger'>> {
  /** With the OpenTelemetry workflow interceptors. */
  traced?: boolean;
}

export function bundleWorkflows({ traced = false, ...opts }: BundleChoice = {}): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, ...opts, workflowInterceptorModules: traced ? [interceptors] : [] });
}

/** Where the traced variant of a prebuilt bundle is written, beside the plain one: `x.js` → `x.traced.js`. */
export function tracedBundlePath(bundlePath: string): string {
  return bundlePath.replace(/(\.js)?$/, '.traced.js');
}
