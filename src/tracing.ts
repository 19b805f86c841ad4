/**
 * OpenTelemetry traces with the standard OTEL_* settings. One trace follows a request: the
 * API's server span, the workflow start (Temporal's client interceptor carries the context in
 * the workflow's headers), the workflow and its activities on any worker (Temporal's worker
 * and workflow interceptors), the model call and its HTTP request, and Prisma's queries.
 *
 * Off unless an exporter is configured: then the SDK is not loaded, no provider is registered,
 * the model call's span is a no-op, and the worker runs the plain workflow bundle, without the
 * workflow interceptors (src/workflow-bundle.ts).
 */
import { SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import type { Logger } from './log.js';
import type { Tracing, TracingConfig } from './tracing-sdk.js';

export type { Tracing, TracingConfig };

/** A process whose tracing is off, or a replay worker: its workflows, started untraced, call no sink. */
export const noTracing: Tracing = {
  clientInterceptors: { workflow: [] },
  workerOptions: {},
  flush: async () => {},
};

let installed: Promise<Tracing> | undefined;

/**
 * The process's tracing, set up by whichever of the API and the worker starts first (one
 * process may run both: it is then `assistants-api`). The SDK, its exporters and the
 * instrumentations load only when tracing is on (./tracing-sdk.ts).
 */
export function installTracing(cfg: TracingConfig, role: 'api' | 'worker', log: Logger): Promise<Tracing> {
  installed ??= cfg.exporter === 'none' ? Promise.resolve(noTracing) : import('./tracing-sdk.js').then((sdk) => sdk.startTracing(cfg, role, log));
  return installed;
}

const tracer = trace.getTracer('assistants');

/**
 * A model call's span, named and attributed as OpenTelemetry's GenAI conventions have it
 * (`chat <model>`), around `fn`: the HTTP request it makes is its child. A throw marks it failed.
 */
export function traceModelCall<T>(model: string, attributes: Attributes, fn: (span: Span) => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(
    `chat ${model}`,
    { kind: SpanKind.CLIENT, attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': model, ...attributes } },
    async (span) => {
      try {
        return await fn(span);
      } catch (err) {
        span.recordException(err as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
        throw err;
      } finally {
        span.end();
      }
    },
  );
}
