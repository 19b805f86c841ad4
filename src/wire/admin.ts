import type { Project as WireProject } from 'openai/resources/admin/organization/projects/projects';
import type { ProjectAPIKey } from 'openai/resources/admin/organization/projects/api-keys';
import type { ProjectServiceAccount, ServiceAccountCreateResponse } from 'openai/resources/admin/organization/projects/service-accounts/service-accounts';
import type { ProjectRateLimit } from 'openai/resources/admin/organization/projects/rate-limits';
import type { ApiKeyWithOwner } from '../db/projects.js';
import { RATE_LIMIT_ID, type ProjectLimits } from '../limits/policy.js';
import type { ApiKey, Project, ServiceAccount } from '../generated/prisma/client.js';

/** The admin API's objects (`admin.organization.projects` in the SDKs). */

export function projectToWire(row: Project): WireProject {
  return { id: row.id, object: 'organization.project', name: row.name, created_at: row.createdAt, archived_at: row.archivedAt, status: row.status };
}

export function serviceAccountToWire(row: ServiceAccount): ProjectServiceAccount {
  return { id: row.id, object: 'organization.project.service_account', name: row.name, role: row.role as ProjectServiceAccount['role'], created_at: row.createdAt };
}

/** The only answer that carries a key's secret: the service account's creation. */
export function createdServiceAccountToWire(account: ServiceAccount, key: ApiKey, secret: string): ServiceAccountCreateResponse {
  return {
    ...serviceAccountToWire(account),
    role: 'member',
    api_key: { id: key.id, object: 'organization.project.service_account.api_key', name: key.name, created_at: key.createdAt, value: secret },
  };
}

export function apiKeyToWire(row: ApiKeyWithOwner): ProjectAPIKey {
  const owner = row.serviceAccount;
  return {
    id: row.id,
    object: 'organization.project.api_key',
    name: row.name,
    redacted_value: row.redactedValue,
    created_at: row.createdAt,
    last_used_at: row.lastUsedAt,
    owner: owner ? { type: 'service_account', service_account: { id: owner.id, name: owner.name, created_at: owner.createdAt, role: owner.role } } : {},
    owner_project_access: 'active',
  };
}

/**
 * A project's one rate limit, for every model (`*`), as the limits in force: its overrides, else
 * the settings' defaults; 0 is no limit. `max_active_runs` is ours: the cap on active runs and responses.
 */
export function rateLimitToWire(limits: ProjectLimits): ProjectRateLimit & { max_active_runs: number } {
  return {
    id: RATE_LIMIT_ID,
    object: 'project.rate_limit',
    model: '*',
    max_requests_per_1_minute: limits.requestsPerMinute ?? 0,
    max_tokens_per_1_minute: limits.tokensPerMinute ?? 0,
    max_active_runs: limits.maxActiveRuns ?? 0,
  };
}

export const deletedToWire = <O extends string>(id: string, object: O) => ({ id, object, deleted: true as const });
