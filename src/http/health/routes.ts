import type Router from '@koa/router';
import type { Readiness } from '../../health.js';

export type HealthCheck = () => Promise<Readiness>;

/**
 * No auth. `/health/live`: the process serves requests (restart it if not). `/health/ready`
 * (and its alias `/health`): every dependency answers within its timeout, the event listener
 * included; 503 when one does not (take it out of rotation, do not restart it).
 */
export function healthRoutes(router: Router, check: HealthCheck): void {
  router.get('/health/live', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get(['/health', '/health/ready'], async (ctx) => {
    const { ok, services } = await check();
    ctx.status = ok ? 200 : 503;
    ctx.body = { status: ok ? 'ok' : 'degraded', services };
  });
}
