import type { Tx } from '../db/client.js';
import { adminKeyHash, keyByHash, keysRequiredSince, setAdminKeyHash, touchKey } from '../db/projects.js';
import type { LimitOverrides } from '../limits/policy.js';
import type { Logger } from '../log.js';
import { nowSeconds } from '../time.js';
import { hashKey, KEY_PREFIX, newSecret, sameHash } from './keys.js';

/** What API_KEYS and the open single-user mode make, and what existed before projects. */
export const DEFAULT_PROJECT_ID = 'proj_default';

/** Who a request acts for: a project, and the stored key it used (null: an API_KEYS key, or none). */
export interface Principal {
  projectId: string;
  keyId: string | null;
  /** The project's limit overrides, read with a stored key (src/limits/policy.ts); absent: not read. */
  overrides?: LimitOverrides;
}

/** A key's `last_used_at` is written at most this often, not on every request. */
const TOUCH_EVERY_S = 60;
/** How long "no project key was ever issued" is believed before it is read again. */
const OPEN_RECHECK_MS = 1_000;

/**
 * Tells a request's bearer key apart: an API_KEYS key (the default project), a key the admin
 * API issued (its project: read on every request, so deleting it takes effect at once), or,
 * while neither exists, anything at all (the open single-user mode, as the seed's clients send
 * `EMPTY`). Once a project key was issued the server stays keyed, even if every key is deleted.
 */
export class Authenticator {
  private readonly envHashes: Set<string>;
  private closedSince = false;
  private openCheckedAt = -Infinity;
  private readonly touched = new Map<string, number>();

  constructor(
    private readonly db: Tx,
    apiKeys: string[] | null,
    private readonly adminHash: string,
  ) {
    this.envHashes = new Set((apiKeys ?? []).map(hashKey));
  }

  /** The principal of a request with this key; undefined: refused (401). */
  async project(key: string | undefined): Promise<Principal | undefined> {
    const hash = key === undefined ? undefined : hashKey(key);
    if (hash !== undefined && this.envHashes.has(hash)) return { projectId: DEFAULT_PROJECT_ID, keyId: null };
    // Only a key in the format this server issues can be a project key: others need no read.
    // It is read even while this process believes the server open, as another may just have issued it.
    if (hash !== undefined && key!.startsWith(KEY_PREFIX.serviceAccount)) {
      const row = await keyByHash(this.db, hash);
      if (row && sameHash(row.hash, hash) && row.project.status === 'active') {
        this.closedSince = true;
        this.touch(row.id, row.lastUsedAt);
        const { maxRequestsPerMinute, maxTokensPerMinute, maxActiveRuns } = row.project;
        return { projectId: row.project.id, keyId: row.id, overrides: { maxRequestsPerMinute, maxTokensPerMinute, maxActiveRuns } };
      }
    }
    return (await this.keyed()) ? undefined : { projectId: DEFAULT_PROJECT_ID, keyId: null };
  }

  isAdmin(key: string | undefined): boolean {
    return key !== undefined && sameHash(hashKey(key), this.adminHash);
  }

  /** Whether requests need a key: API_KEYS is set, or a project key was issued. */
  async keyed(): Promise<boolean> {
    if (this.envHashes.size > 0 || this.closedSince) return true;
    if (performance.now() - this.openCheckedAt < OPEN_RECHECK_MS) return false;
    this.closedSince = (await keysRequiredSince(this.db)) !== null;
    this.openCheckedAt = performance.now();
    return this.closedSince;
  }

  /** This process issued a project key: it needs keys from this request on. */
  keyIssued(): void {
    this.closedSince = true;
  }

  private touch(id: string, lastUsedAt: number | null): void {
    const now = nowSeconds();
    const last = Math.max(lastUsedAt ?? 0, this.touched.get(id) ?? 0);
    if (now - last < TOUCH_EVERY_S) return;
    this.touched.set(id, now);
    void touchKey(this.db, id, now).catch(() => this.touched.delete(id));
  }
}

/**
 * The admin key's hash: ADMIN_API_KEY's, or the stored one's. With neither, one is made and
 * printed once, here — only its hash is kept, so it cannot be shown again.
 */
export async function prepareAdminKey(db: Tx, adminApiKey: string | undefined, log: Logger): Promise<string> {
  if (adminApiKey) return hashKey(adminApiKey);
  const stored = await adminKeyHash(db);
  if (stored) return stored;
  const secret = newSecret('admin');
  if (await setAdminKeyHash(db, hashKey(secret))) {
    log.warn({ admin_key: secret }, 'made the admin key for /v1/organization (projects and their keys); it is shown only this once: keep it, or set ADMIN_API_KEY');
    return hashKey(secret);
  }
  return (await adminKeyHash(db))!;
}
