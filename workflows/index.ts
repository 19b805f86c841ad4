/** The worker's workflow bundle entry: every workflow type it runs. */
export { fileExpiry } from './file-expiry.js';
export { assistantRun } from './run.js';
export { responseRun } from './response.js';
