import type Router from '@koa/router';
import { z } from 'zod';
import * as admin from '../../services/projects.js';
import type { AppDeps } from '../../services/deps.js';
import { completionsUsage } from '../../services/usage.js';
import { apiKeyToWire, createdServiceAccountToWire, deletedToWire, projectToWire, rateLimitToWire, serviceAccountToWire } from '../../wire/admin.js';
import { completionsUsageToWire } from '../../wire/usage.js';
import { body } from '../body.js';
import { envelope, ListQuery } from '../pagination.js';
import { parse } from '../validation.js';

const Name = z.strictObject({ name: z.string().trim().min(1).max(256) });
/** Admin lists run oldest first, as OpenAI's do, paged by `after`. */
const AdminList = ListQuery.extend({ order: z.enum(['asc', 'desc']).default('asc') });
const ProjectList = AdminList.extend({ include_archived: z.enum(['true', 'false']).default('false') });
/** A limit override: a non-negative integer (0: no limit), or null for the setting's default. */
const Limit = z.number().int().min(0).max(2 ** 31 - 1).nullable().optional();
const RateLimitUpdate = z.strictObject({ max_requests_per_1_minute: Limit, max_tokens_per_1_minute: Limit, max_active_runs: Limit });
const UsageQuery = z.strictObject({
  start_time: z.coerce.number().int().min(0),
  end_time: z.coerce.number().int().min(0).optional(),
  bucket_width: z.enum(['1m', '1h', '1d']).default('1d'),
  group_by: z.array(z.enum(['project_id', 'model'])).default([]),
  project_ids: z.array(z.string()).optional(),
  models: z.array(z.string()).optional(),
  limit: z.coerce.number().int().min(1).optional(),
  page: z.string().min(1).optional(),
});

/** A list in a query comes as `k=a`, or as the SDKs send it, `k[]=a&k[]=b`: either becomes `k`, a list. */
function withLists(query: Record<string, string | string[] | undefined>, keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = { ...query };
  for (const key of keys) {
    const values = [query[key] ?? [], query[`${key}[]`] ?? []].flat();
    delete out[`${key}[]`];
    if (values.length) out[key] = values;
  }
  return out;
}

/**
 * `/organization/projects…`: the admin API's projects, service accounts, project keys and rate
 * limits (src/services/projects.ts); `/organization/usage/completions` (src/services/usage.ts).
 */
export function adminRoutes(router: Router, deps: AppDeps): void {
  const base = '/organization/projects';
  router.param('project_id', async (id, _ctx, next) => {
    await admin.getProject(deps, id);
    return next();
  });
  router
    .post(base, async (ctx) => {
      ctx.body = projectToWire(await admin.createProject(deps, parse(Name, body(ctx)).name));
    })
    .get(base, async (ctx) => {
      const { include_archived, ...q } = parse(ProjectList, ctx.query);
      const { items, hasMore } = await admin.listProjects(deps, { ...q, includeArchived: include_archived === 'true' });
      ctx.body = envelope(items.map(projectToWire), hasMore);
    })
    .get(`${base}/:project_id`, async (ctx) => {
      ctx.body = projectToWire(await admin.getProject(deps, ctx.params.project_id!));
    })
    .post(`${base}/:project_id`, async (ctx) => {
      ctx.body = projectToWire(await admin.renameProject(deps, ctx.params.project_id!, parse(Name, body(ctx)).name));
    })
    .post(`${base}/:project_id/archive`, async (ctx) => {
      ctx.body = projectToWire(await admin.archiveProject(deps, ctx.params.project_id!));
    })
    .post(`${base}/:project_id/service_accounts`, async (ctx) => {
      const { account, key, secret } = await admin.createServiceAccount(deps, ctx.params.project_id!, parse(Name, body(ctx)).name);
      ctx.body = createdServiceAccountToWire(account, key, secret);
    })
    .get(`${base}/:project_id/service_accounts`, async (ctx) => {
      const { items, hasMore } = await admin.listServiceAccounts(deps, ctx.params.project_id!, parse(AdminList, ctx.query));
      ctx.body = envelope(items.map(serviceAccountToWire), hasMore);
    })
    .get(`${base}/:project_id/service_accounts/:service_account_id`, async (ctx) => {
      ctx.body = serviceAccountToWire(await admin.getServiceAccount(deps, ctx.params.project_id!, ctx.params.service_account_id!));
    })
    .delete(`${base}/:project_id/service_accounts/:service_account_id`, async (ctx) => {
      await admin.deleteServiceAccount(deps, ctx.params.project_id!, ctx.params.service_account_id!);
      ctx.body = deletedToWire(ctx.params.service_account_id!, 'organization.project.service_account.deleted');
    })
    .get(`${base}/:project_id/api_keys`, async (ctx) => {
      const { items, hasMore } = await admin.listApiKeys(deps, ctx.params.project_id!, parse(AdminList, ctx.query));
      ctx.body = envelope(items.map(apiKeyToWire), hasMore);
    })
    .get(`${base}/:project_id/api_keys/:key_id`, async (ctx) => {
      ctx.body = apiKeyToWire(await admin.getApiKey(deps, ctx.params.project_id!, ctx.params.key_id!));
    })
    .delete(`${base}/:project_id/api_keys/:key_id`, async (ctx) => {
      await admin.deleteApiKey(deps, ctx.params.project_id!, ctx.params.key_id!);
      ctx.body = deletedToWire(ctx.params.key_id!, 'organization.project.api_key.deleted');
    })
    .get(`${base}/:project_id/rate_limits`, async (ctx) => {
      const q = parse(AdminList, ctx.query);
      const limit = rateLimitToWire(await admin.getRateLimit(deps, ctx.params.project_id!));
      // The one rate limit is the whole list: a cursor past or before it leaves nothing.
      ctx.body = envelope(q.after || q.before ? [] : [limit], false);
    })
    .post(`${base}/:project_id/rate_limits/:rate_limit_id`, async (ctx) => {
      const b = parse(RateLimitUpdate, body(ctx));
      const changes = { maxRequestsPerMinute: b.max_requests_per_1_minute, maxTokensPerMinute: b.max_tokens_per_1_minute, maxActiveRuns: b.max_active_runs };
      ctx.body = rateLimitToWire(await admin.updateRateLimit(deps, ctx.params.project_id!, ctx.params.rate_limit_id!, changes));
    });
  router.get('/organization/usage/completions', async (ctx) => {
    const q = parse(UsageQuery, withLists(ctx.query, ['group_by', 'project_ids', 'models']));
    const { buckets, nextPage } = await completionsUsage(deps, {
      startTime: q.start_time,
      endTime: q.end_time,
      width: q.bucket_width,
      groupBy: q.group_by,
      projectIds: q.project_ids,
      models: q.models,
      limit: q.limit,
      page: q.page,
    });
    ctx.body = completionsUsageToWire(buckets, nextPage);
  });
}
