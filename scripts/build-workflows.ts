/** `npm run build:workflows`: bundles the workflow code once, plain and traced, for workers that start fast. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { bundleWorkflows, tracedBundlePath } from '../src/workflow-bundle.js';

const out = path.resolve(process.argv[2] ?? 'dist/workflow-bundle.js');
await mkdir(path.dirname(out), { recursive: true });
for (const [file, traced] of [[out, false], [tracedBundlePath(out), true]] as const) {
  const { code } = await bundleWorkflows({ traced });
  await writeFile(file, code);
  console.log(`workflow bundle${traced ? ' (traced)' : ''} written to ${file}`);
}
