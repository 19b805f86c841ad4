/**
 * Runs inside the workflow sandbox of a traced worker (the traced bundle of
 * src/workflow-bundle.ts): Temporal's OpenTelemetry workflow interceptors, for the workflows
 * whose start carried a trace (the client interceptor's header, present when the API that
 * started them traces). A workflow started untraced builds no tracer, makes no spans and calls
 * no sink: always on, the interceptors cost ~10 ms on a run's first workflow task and ~110 MB
 * of worker RSS with 1,000 runs parked (bench c, d and b, 2026-12-03).
 * Whether a workflow is traced is read from its start's headers, which replay gives back the
 * same, so the choice is deterministic.
 */
import type { WorkflowInboundCallsInterceptor, WorkflowInterceptors } from '@temporalio/workflow';
// TRACE_HEADER: where Temporal's OpenTelemetry client interceptor puts the caller's span context.
import { TRACE_HEADER } from '@temporalio/interceptors-opentelemetry/lib/instrumentation.js';
import { OpenTelemetryInboundInterceptor, OpenTelemetryInternalsInterceptor, OpenTelemetryOutboundInterceptor } from '@temporalio/interceptors-opentelemetry/lib/workflow/index.js';

type Traced = { inbound: OpenTelemetryInboundInterceptor; outbound: OpenTelemetryOutboundInterceptor; internals: OpenTelemetryInternalsInterceptor };

export const interceptors = (): WorkflowInterceptors => {
  let traced: Traced | undefined;
  const inbound = delegating<WorkflowInboundCallsInterceptor>(() => traced?.inbound, {
    // The first call of a workflow (its start, or the first event replayed): decides for all the rest.
    execute(input, next) {
      if (input.headers[TRACE_HEADER]) traced = { inbound: new OpenTelemetryInboundInterceptor(), outbound: new OpenTelemetryOutboundInterceptor(), internals: new OpenTelemetryInternalsInterceptor() };
      return traced ? traced.inbound.execute(input, next) : next(input);
    },
  });
  return {
    inbound: [inbound],
    outbound: [delegating(() => traced?.outbound)],
    internals: [delegating(() => traced?.internals)],
  };
};

/**
 * An interceptor whose every method goes to the same method of `inner()` when it is there and
 * has one, and straight to `next` otherwise; `own` methods come first.
 */
function delegating<T extends object>(inner: () => object | undefined, own: Partial<T> = {}): T {
  return new Proxy(own as T, {
    get(target, method) {
      if (method in target) return target[method as keyof T];
      return (input: unknown, next: (input: unknown) => unknown) => {
        const to = inner() as Record<PropertyKey, unknown> | undefined;
        const fn = to?.[method];
        return typeof fn === 'function' ? fn.call(to, input, next) : next(input);
      };
    },
  });
}
