/**
 * `npm run sandbox`: the sandbox service alone (src/sandbox/service.ts), listening on
 * CODE_SANDBOX_SOCKET; docker-compose runs it as the `sandbox` service, without a network.
 * It needs what a worker running bubblewrap needs (README, "The code interpreter's sandbox").
 */
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../config.js';
import { log } from '../log.js';
import { runUntilSignal } from '../process.js';
import { BubblewrapBackend } from './bubblewrap.js';
import { startSandboxService } from './service.js';

await runUntilSignal(log, async () => {
  const config = loadConfig();
  log.level = config.logLevel;
  const backend = new BubblewrapBackend(config.code.venv);
  await backend.check();
  const server = await startSandboxService({ socketPath: config.code.socket, backend, dir: path.join(tmpdir(), 'assistants-sandbox-sessions'), log });
  return () => server.close();
});
