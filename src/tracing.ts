/**
 * OpenTelemetry traces with the standard OTEL_* settings. One trace follows a request: the
 * API's server span, the workflow start (Temporal's client interceptor carries the context in
 * the workflow's headers), the workflow and its activities on any worker (Temporal's worker
 * and workflow interceptors), the model call and its HTTP request, and Prisma's queries.
 *
 * Off unless an exporter is configured: then no provider is registered, the API's tracer is a
 * no-op, and the workflow interceptors every bundle carries (src/workflow-bundle.ts) hand
 * their spans to a processor that drops them.
 */
import { diag, DiagLogLevel, SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { detectResourcesSync, envDetectorSync, Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, ConsoleSpanExporter, NodeTracerProvider, NoopSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { PrismaInstrumentation } from '@prisma/instrumentation';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { WorkerOptions } from '@temporalio/worker';
import type { Logger } from './log.js';

export interface TracingConfig {
  exporter: 'otlp' | 'console' | 'none';
  protocol: 'http/protobuf' | 'http/json';
}

export interface Tracing {
  readonly enabled: boolean;
  /** For a Temporal Client: the workflows it starts, updates and signals carry the caller's trace. */
  readonly clientInterceptors: { workflow: WorkflowClientInterceptor[] };
  /** For a Worker on the workflow bundle: activity spans, and the sink its workflow spans leave through. */
  readonly workerOptions: Pick<WorkerOptions, 'interceptors' | 'sinks'>;
  /** Sends what is buffered; before the process exits. */
  flush(): Promise<void>;
}

/** A process whose tracing is off, or a replay worker: workflow spans are dropped. */
export const noTracing: Tracing = {
  enabled: false,
  clientInterceptors: { workflow: [] },
  workerOptions: { sinks: { exporter: makeWorkflowExporter(new NoopSpanProcessor(), Resource.empty()) } },
  flush: async () => {},
};

let installed: Tracing | undefined;

/**
 * The process's tracing, set up by whichever of the API and the worker starts first (one
 * process may run both: it is then `assistants-api`). OTEL_SERVICE_NAME and
 * OTEL_RESOURCE_ATTRIBUTES override the resource; the exporter reads its endpoint, headers and
 * timeout, the provider its sampler, and the batch processor its OTEL_BSP_* from the
 * environment.
 */
export function installTracing(cfg: TracingConfig, role: 'api' | 'worker', log: Logger): Tracing {
  if (installed) return installed;
  if (cfg.exporter === 'none') return (installed = noTracing);
  const resource = Resource.default()
    .merge(new Resource({ [ATTR_SERVICE_NAME]: `assistants-${role}` }))
    .merge(detectResourcesSync({ detectors: [envDetectorSync] }));
  // The SDK's own complaints (an exporter that cannot reach its endpoint) go to our log.
  const otelLog = log.child({ component: 'opentelemetry' });
  const warn = (message: string, ...args: unknown[]) => otelLog.warn({ details: args }, message);
  diag.setLogger({ error: warn, warn, info: () => {}, debug: () => {}, verbose: () => {} }, DiagLogLevel.WARN);
  const processor = new BatchSpanProcessor(exporterFor(cfg));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [processor] });
  provider.register();
  // Prisma's queries, and the model's (and embeddings') HTTP requests made with fetch.
  registerInstrumentations({ tracerProvider: provider, instrumentations: [new PrismaInstrumentation(), new UndiciInstrumentation()] });
  log.info({ exporter: cfg.exporter, protocol: cfg.exporter === 'otlp' ? cfg.protocol : undefined, service_name: resource.attributes[ATTR_SERVICE_NAME] }, 'tracing on');
  return (installed = {
    enabled: true,
    clientInterceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] },
    workerOptions: {
      interceptors: {
        activity: [(ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) })],
      },
      sinks: { exporter: makeWorkflowExporter(processor, resource) },
    },
    flush: () => provider.forceFlush().catch((err: unknown) => log.warn({ err }, 'could not send the last spans')),
  });
}

function exporterFor(cfg: TracingConfig): SpanExporter {
  if (cfg.exporter === 'console') return new ConsoleSpanExporter();
  return cfg.protocol === 'http/json' ? new OtlpJsonExporter() : new OtlpProtoExporter();
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
