import type Koa from 'koa';
import { bearerKey } from '../bearer.js';
import type { AppDeps } from '../services/deps.js';
import { ApiError, unauthorized } from './errors.js';

export const isAdminPath = (path: string) => path === '/organization' || path.startsWith('/organization/');

/**
 * The organization endpoints take the admin key only; every other endpoint a project's key
 * (src/tenancy/authenticator.ts), and acts for that project from here on: `ctx.state.deps`
 * is scoped to it.
 */
export function auth(deps: AppDeps): Koa.Middleware {
  return async (ctx, next) => {
    const key = bearerKey(ctx.get('authorization'));
    if (isAdminPath(ctx.path)) {
      if (!deps.authenticator.isAdmin(key)) throw adminOnly(key);
      return next();
    }
    const principal = await deps.authenticator.project(key);
    if (!principal) throw unauthorized(key);
    ctx.state.principal = principal;
    ctx.state.deps = { ...deps, projectId: principal.projectId };
    ctx.state.log = ctx.state.log.child({ project_id: principal.projectId });
    return next();
  };
}

const adminOnly = (key: string | undefined) =>
  key
    ? new ApiError(401, 'The organization endpoints need the admin key (ADMIN_API_KEY, or the one the server printed at its first start); a project key cannot manage projects.', 'invalid_request_error', null, 'invalid_api_key')
    : unauthorized(undefined);
