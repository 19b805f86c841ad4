/**
 * The OpenTelemetry SDK for a process whose tracing is on (loaded by ./tracing.ts only then):
 * the provider and its exporter, Prisma's and undici's instrumentation, and Temporal's client
 * and activity interceptors. OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override the
 * resource; the exporter reads its endpoint, headers and timeout, the provider its sampler, and
 * the batch processor its OTEL_BSP_* from the environment.
 */
import { diag, DiagLogLevel } from '@opentelemetry/api';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { detectResourcesSync, envDetectorSync, Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, ConsoleSpanExporter, NodeTracerProvider, type SpanExporter } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { PrismaInstrumentation } from '@prisma/instrumentation';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import type { WorkerOptions } from '@temporalio/worker';
import type { Logger } from './log.js';

// The shapes every process sees (./tracing.ts re-exports them); the rest loads only when on.
export interface TracingConfig {
  exporter: 'otlp' | 'console' | 'none';
  protocol: 'http/protobuf' | 'http/json';
}

export interface Tracing {
  /** For a Temporal Client: the workflows it starts, updates and signals carry the caller's trace. */
  readonly clientInterceptors: { workflow: WorkflowClientInterceptor[] };
  /** For a Worker on the workflow bundle: activity spans, and the sink its workflow spans leave through. */
  readonly workerOptions: Pick<WorkerOptions, 'interceptors' | 'sinks'>;
  /** Sends what is buffered; before the process exits. */
  flush(): Promise<void>;
}

export function startTracing(cfg: TracingConfig, role: 'api' | 'worker', log: Logger): Tracing {
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
  return {
    clientInterceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] },
    workerOptions: {
      interceptors: {
        activity: [(ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) })],
      },
      sinks: { exporter: makeWorkflowExporter(processor, resource) },
    },
    flush: () => provider.forceFlush().catch((err: unknown) => log.warn({ err }, 'could not send the last spans')),
  };
}

function exporterFor(cfg: TracingConfig): SpanExporter {
  if (cfg.exporter === 'console') return new ConsoleSpanExporter();
  return cfg.protocol === 'http/json' ? new OtlpJsonExporter() : new OtlpProtoExporter();
}
