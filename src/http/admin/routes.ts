import type Router from '@koa/router';
import { z } from 'zod';
import * as admin from '../../services/projects.js';
import type { AppDeps } from '../../services/deps.js';
import { apiKeyToWire, createdServiceAccountToWire, deletedToWire, projectToWire, serviceAccountToWire } from '../../wire/admin.js';
import { body } from '../body.js';
import { envelope, ListQuery } from '../pagination.js';
import { parse } from '../validation.js';

const Name = z.strictObject({ name: z.string().trim().min(1).max(256) });
/** Admin lists run oldest first, as OpenAI's do, paged by `after`. */
const AdminList = ListQuery.extend({ order: z.enum(['asc', 'desc']).default('asc') });
const ProjectList = AdminList.extend({ include_archived: z.enum(['true', 'false']).default('false') });

/** `/organization/projects…`: the admin API's projects, service accounts and project keys (src/services/projects.ts). */
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
    });
}
