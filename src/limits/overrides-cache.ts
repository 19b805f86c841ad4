import type { Tx } from '../db/client.js';
import { limitOverrides } from '../db/projects.js';
import type { LimitOverrides } from './policy.js';

const FRESH_MS = 1_000;

/**
 * The limit overrides of a project whose request carried no stored key (API_KEYS and the open
 * mode: the default project), read at most once a second per project and process. A stored key's
 * lookup reads its project's overrides already (src/tenancy/authenticator.ts), so those cost
 * nothing here and a change through the admin API applies to their next request; here it
 * applies within a second.
 */
export class OverridesCache {
  readonly #read = new Map<string, { at: number; overrides: Promise<LimitOverrides> }>();

  constructor(private readonly db: Tx) {}

  get(projectId: string): Promise<LimitOverrides> {
    const hit = this.#read.get(projectId);
    if (hit && performance.now() - hit.at < FRESH_MS) return hit.overrides;
    const overrides = limitOverrides(this.db, projectId);
    this.#read.set(projectId, { at: performance.now(), overrides });
    overrides.catch(() => this.#read.delete(projectId));
    return overrides;
  }
}
