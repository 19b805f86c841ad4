import type Router from '@koa/router';

export type HealthCheck = () => Promise<Record<string, { ok: boolean; error?: string }>>;

/** `GET /health`: whether Postgres, Temporal and S3 answer; 503 when any does not. No auth. */
export function healthRoutes(router: Router, check: HealthCheck): void {
  router.get('/health', async (ctx) => {
    const services = await check();
    const ok = Object.values(services).every((s) => s.ok);
    ctx.status = ok ? 200 : 503;
    ctx.body = { status: ok ? 'ok' : 'degraded', services };
  });
}
