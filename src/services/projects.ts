import * as projects from '../db/projects.js';
import type { PageQuery } from '../db/pagination.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { newId } from '../ids.js';
import { limitsOf, RATE_LIMIT_ID, type LimitOverrides, type ProjectLimits } from '../limits/policy.js';
import { hashKey, newSecret, redactKey } from '../tenancy/keys.js';
import { DEFAULT_PROJECT_ID } from '../tenancy/authenticator.js';
import { nowSeconds } from '../time.js';
import type { AppDeps } from './deps.js';

/** The admin API: projects, their service accounts and keys. Only the admin key reaches it (src/http/auth.ts). */

type Admin = Pick<AppDeps, 'db' | 'authenticator' | 'config'>;

export function createProject({ db }: Admin, name: string) {
  return projects.insertProject(db, { id: newId('project'), name, createdAt: nowSeconds(), status: 'active' });
}

export function getProject({ db }: Admin, id: string) {
  return projects.findProject(db, id);
}

export function listProjects({ db }: Admin, q: PageQuery & { includeArchived: boolean }) {
  return projects.pageProjects(db, q);
}

async function activeProject(db: Admin['db'], id: string) {
  const project = await projects.findProject(db, id);
  if (project.status !== 'active') throw new ConflictError(`Project ${id} is archived.`);
  return project;
}

export async function renameProject({ db }: Admin, id: string, name: string) {
  await activeProject(db, id);
  return projects.updateProject(db, id, { name });
}

/**
 * Its keys stop working on their next request; its objects stay, unreachable. The default
 * project holds what API_KEYS and the open mode make, so it cannot be archived.
 */
export async function archiveProject({ db }: Admin, id: string) {
  const project = await projects.findProject(db, id);
  if (id === DEFAULT_PROJECT_ID) throw new ConflictError('The default project cannot be archived: API_KEYS and the open mode use it.');
  if (project.status === 'archived') return project;
  return projects.updateProject(db, id, { status: 'archived', archivedAt: nowSeconds() });
}

export async function getRateLimit({ db, config }: Admin, projectId: string): Promise<ProjectLimits> {
  return limitsOf(config.limits, await projects.findProject(db, projectId));
}

/** Each override given is set: a number (0 lifts the limit), or null for the setting's default. */
export async function updateRateLimit({ db, config }: Admin, projectId: string, id: string, changes: Partial<LimitOverrides>): Promise<ProjectLimits> {
  await activeProject(db, projectId);
  if (id !== RATE_LIMIT_ID) throw new NotFoundError('rate limit', id);
  return limitsOf(config.limits, await projects.updateProject(db, projectId, changes));
}

/**
 * A service account and its key, whose secret this answer alone carries. From the first key
 * on, the server requires keys (src/tenancy/authenticator.ts).
 */
export async function createServiceAccount({ db, authenticator }: Admin, projectId: string, name: string) {
  await activeProject(db, projectId);
  const secret = newSecret('serviceAccount');
  const createdAt = nowSeconds();
  const made = await db.$transaction(async (tx) => {
    const row = await projects.insertServiceAccount(
      tx,
      { id: newId('serviceAccount'), projectId, name, role: 'member', createdAt },
      { id: newId('apiKey'), name: 'Secret key', hash: hashKey(secret), redactedValue: redactKey(secret), createdAt },
    );
    await projects.requireKeysFrom(tx, createdAt);
    return row;
  });
  authenticator.keyIssued();
  return { ...made, secret };
}

export async function getServiceAccount({ db }: Admin, projectId: string, id: string) {
  return projects.findServiceAccount(db, projectId, id);
}

export function listServiceAccounts({ db }: Admin, projectId: string, q: PageQuery) {
  return projects.pageServiceAccounts(db, projectId, q);
}

export function deleteServiceAccount({ db }: Admin, projectId: string, id: string) {
  return projects.deleteServiceAccount(db, projectId, id);
}

export function getApiKey({ db }: Admin, projectId: string, id: string) {
  return projects.findApiKey(db, projectId, id);
}

export function listApiKeys({ db }: Admin, projectId: string, q: PageQuery) {
  return projects.pageApiKeys(db, projectId, q);
}

export function deleteApiKey({ db }: Admin, projectId: string, id: string) {
  return projects.deleteApiKey(db, projectId, id);
}
