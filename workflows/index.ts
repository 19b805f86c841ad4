/** The worker's workflow bundle entry: every workflow type it runs. */
export { fileExpiry } from './file-expiry.js';
export { vectorStoreFileIngest } from './ingest.js';
export { assistantRun } from './run.js';
export { responseRun } from './response.js';
export { vectorStoreExpiry } from './vector-store-expiry.js';
