import type Router from '@koa/router';
import { bearerKey } from '../../bearer.js';
import { metricsAccess, registry, type MetricsAccess } from '../../metrics.js';
import { ApiError, unauthorized } from '../errors.js';

/** `GET /metrics` in Prometheus's text format, for whom src/metrics.ts `metricsAccess` lets in. */
export function metricsRoutes(router: Router, access: MetricsAccess): void {
  router.get('/metrics', async (ctx) => {
    const allowed = await metricsAccess(ctx.get('authorization'), access);
    if (allowed === 'unauthorized') throw unauthorized(bearerKey(ctx.get('authorization')));
    if (allowed === 'forbidden') {
      throw new ApiError(403, 'Metrics need their own key on a server that requires API keys: set METRICS_API_KEY and scrape with it.', 'invalid_request_error', null, 'metrics_key_required');
    }
    ctx.type = registry.contentType;
    ctx.body = await registry.metrics();
  });
}
