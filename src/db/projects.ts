import { NotFoundError } from '../errors.js';
import type { ApiKey, Prisma, Project, ServiceAccount } from '../generated/prisma/client.js';
import { NO_OVERRIDES, type LimitOverrides } from '../limits/policy.js';
import type { Tx } from './client.js';
import { page, type PageQuery } from './pagination.js';

/** The `projects`, `service_accounts`, `api_keys` and `admin_keys` tables (src/tenancy/). */

export type ApiKeyWithOwner = ApiKey & { serviceAccount: ServiceAccount | null };

/** The project a key's hash belongs to, with the project's state and limits; null: no such key. */
export function keyByHash(db: Tx, hash: string): Promise<(Pick<ApiKey, 'id' | 'hash' | 'lastUsedAt'> & { project: Project }) | null> {
  return db.apiKey.findUnique({ where: { hash }, select: { id: true, hash: true, lastUsedAt: true, project: true } });
}

export async function touchKey(db: Tx, id: string, at: number): Promise<void> {
  await db.apiKey.updateMany({ where: { id }, data: { lastUsedAt: at } });
}

export function insertProject(db: Tx, data: Prisma.ProjectCreateInput): Promise<Project> {
  return db.project.create({ data });
}

export async function findProject(db: Tx, id: string): Promise<Project> {
  const row = await db.project.findUnique({ where: { id } });
  if (!row) throw new NotFoundError('project', id);
  return row;
}

/** The project's limit overrides; a project that does not exist has none. */
export async function limitOverrides(db: Tx, id: string): Promise<LimitOverrides> {
  const row = await db.project.findUnique({ where: { id }, select: { maxRequestsPerMinute: true, maxTokensPerMinute: true, maxActiveRuns: true } });
  return row ?? NO_OVERRIDES;
}

export function pageProjects(db: Tx, q: PageQuery & { includeArchived: boolean }) {
  return page(q, (args) => db.project.findMany({ ...args, where: { ...args.where, ...(q.includeArchived ? {} : { status: 'active' }) } }));
}

export function updateProject(db: Tx, id: string, data: Prisma.ProjectUpdateInput): Promise<Project> {
  return db.project.update({ where: { id }, data });
}

export async function insertServiceAccount(
  db: Tx,
  account: Prisma.ServiceAccountUncheckedCreateInput,
  key: Omit<Prisma.ApiKeyUncheckedCreateInput, 'projectId' | 'serviceAccountId'>,
): Promise<{ account: ServiceAccount; key: ApiKey }> {
  const row = await db.serviceAccount.create({ data: account });
  const apiKey = await db.apiKey.create({ data: { ...key, projectId: row.projectId, serviceAccountId: row.id } });
  return { account: row, key: apiKey };
}

export async function findServiceAccount(db: Tx, projectId: string, id: string): Promise<ServiceAccount> {
  const row = await db.serviceAccount.findFirst({ where: { id, projectId } });
  if (!row) throw new NotFoundError('service account', id);
  return row;
}

export function pageServiceAccounts(db: Tx, projectId: string, q: PageQuery) {
  return page(q, (args) => db.serviceAccount.findMany({ ...args, where: { ...args.where, projectId } }));
}

/** Its keys go with it (the foreign key cascades). */
export async function deleteServiceAccount(db: Tx, projectId: string, id: string): Promise<void> {
  const { count } = await db.serviceAccount.deleteMany({ where: { id, projectId } });
  if (count === 0) throw new NotFoundError('service account', id);
}

export async function findApiKey(db: Tx, projectId: string, id: string): Promise<ApiKeyWithOwner> {
  const row = await db.apiKey.findFirst({ where: { id, projectId }, include: { serviceAccount: true } });
  if (!row) throw new NotFoundError('API key', id);
  return row;
}

export function pageApiKeys(db: Tx, projectId: string, q: PageQuery) {
  return page(q, (args) => db.apiKey.findMany({ ...args, where: { ...args.where, projectId }, include: { serviceAccount: true } }));
}

export async function deleteApiKey(db: Tx, projectId: string, id: string): Promise<void> {
  const { count } = await db.apiKey.deleteMany({ where: { id, projectId } });
  if (count === 0) throw new NotFoundError('API key', id);
}

const ORG = 'org_default';

/** When the first project key was issued; null: never (the server may still be open). */
export async function keysRequiredSince(db: Tx): Promise<number | null> {
  return (await db.organization.findUnique({ where: { id: ORG }, select: { keysRequiredSince: true } }))?.keysRequiredSince ?? null;
}

export async function requireKeysFrom(db: Tx, at: number): Promise<void> {
  await db.organization.updateMany({ where: { id: ORG, keysRequiredSince: null }, data: { keysRequiredSince: at } });
}

export async function adminKeyHash(db: Tx): Promise<string | null> {
  return (await db.organization.findUnique({ where: { id: ORG }, select: { adminKeyHash: true } }))?.adminKeyHash ?? null;
}

/** Stores the admin key's hash unless one is stored; false when another process stored one first. */
export async function setAdminKeyHash(db: Tx, hash: string): Promise<boolean> {
  const { count } = await db.organization.updateMany({ where: { id: ORG, adminKeyHash: null }, data: { adminKeyHash: hash } });
  return count === 1;
}
