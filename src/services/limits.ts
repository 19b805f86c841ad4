import type { Tx } from '../db/client.js';
import { lockAndCountActiveRuns } from '../db/rate-limits.js';
import { LimitExceededError } from '../errors.js';
import type { Deps } from './deps.js';

/**
 * Refuses a new run or response while the project has as many active ones as its cap allows
 * (runs queued, in progress, waiting for tool outputs or cancelling; responses queued or in
 * progress). Inside the creating transaction, after any thread lock it takes (every creator
 * takes them in that order) and before the workflow starts; a project without a cap costs nothing.
 */
export async function requireRunSlot(deps: Deps, tx: Tx): Promise<void> {
  const cap = deps.maxActiveRuns;
  if (cap === undefined) return;
  const active = await lockAndCountActiveRuns(tx, deps.projectId);
  if (active < cap) return;
  throw new LimitExceededError(
    `Rate limit reached for active runs in project ${deps.projectId}: Limit ${cap}, Active ${active}. Runs and responses count until they end; please try again once one has ended (or cancel one).`,
  );
}
