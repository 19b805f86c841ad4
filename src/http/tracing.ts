import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type Koa from 'koa';

const tracer = trace.getTracer('assistants-http');

/**
 * The request's server span, the root of what it starts (or a child of the caller's, from its
 * `traceparent`), named by route pattern as OpenTelemetry's HTTP conventions have it; a stream
 * ends it when its last event is written. Installed only while tracing is on (./app.ts).
 */
export const traceRequests: Koa.Middleware = async (ctx, next) => {
  const parent = propagation.extract(context.active(), ctx.headers);
  const span = tracer.startSpan(
    ctx.method,
    { kind: SpanKind.SERVER, attributes: { 'http.request.method': ctx.method, 'url.path': ctx.path, 'url.scheme': ctx.protocol } },
    parent,
  );
  try {
    await context.with(trace.setSpan(parent, span), next);
  } finally {
    const route = (ctx as { _matchedRoute?: string })._matchedRoute;
    if (route) span.updateName(`${ctx.method} ${route}`).setAttribute('http.route', route);
    span.setAttributes({ 'http.response.status_code': ctx.status, 'assistants.request_id': String(ctx.response.get('x-request-id')) });
    if (ctx.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  }
};

/** The active trace's id, for the request's log lines; undefined with tracing off. */
export function activeTraceId(): string | undefined {
  const span = trace.getActiveSpan();
  return span?.isRecording() ? span.spanContext().traceId : undefined;
}
