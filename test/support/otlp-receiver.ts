/**
 * An OTLP/HTTP trace receiver in the test process, as a collector would be: the API and the
 * workers export to it over http/protobuf or http/json, and the test reads the spans back.
 */
import { createRequire } from 'node:module';
import { createServer } from 'node:http';
import { buffer } from 'node:stream/consumers';

// protobufjs's static code for OTLP, as the exporter itself encodes with it.
const otlp = createRequire(import.meta.url)('@opentelemetry/otlp-transformer/build/src/generated/root.js').opentelemetry.proto;
const ExportTraceServiceRequest = otlp.collector.trace.v1.ExportTraceServiceRequest;

export interface ReceivedSpan {
  /** The resource's `service.name`. */
  service: string;
  traceId: string;
  spanId: string;
  /** Empty for a root span. */
  parentSpanId: string;
  name: string;
  attributes: Record<string, unknown>;
}

export interface OtlpReceiver {
  /** What OTEL_EXPORTER_OTLP_ENDPOINT is set to. */
  url: string;
  spans: ReceivedSpan[];
  /** The content types of the export requests, in order. */
  contentTypes: string[];
  close(): Promise<void>;
}

type AnyValue = { stringValue?: string; boolValue?: boolean; intValue?: number | string | { toString(): string }; doubleValue?: number; arrayValue?: { values?: AnyValue[] } };
type KeyValue = { key: string; value?: AnyValue };
type OtlpSpan = { traceId: string | Uint8Array; spanId: string | Uint8Array; parentSpanId?: string | Uint8Array; name: string; attributes?: KeyValue[] };
type ExportRequest = { resourceSpans?: { resource?: { attributes?: KeyValue[] }; scopeSpans?: { spans?: OtlpSpan[] }[] }[] };

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const contentTypes: string[] = [];
  const server = createServer(async (req, res) => {
    const type = req.headers['content-type'] ?? '';
    const body = await buffer(req);
    if (req.method !== 'POST' || req.url !== '/v1/traces') {
      res.writeHead(404).end();
      return;
    }
    contentTypes.push(type);
    const request: ExportRequest = type.startsWith('application/json')
      ? JSON.parse(body.toString('utf8'))
      : ExportTraceServiceRequest.toObject(ExportTraceServiceRequest.decode(body), { defaults: false });
    spans.push(...flatten(request));
    if (type.startsWith('application/json')) res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    else res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    contentTypes,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function flatten(request: ExportRequest): ReceivedSpan[] {
  return (request.resourceSpans ?? []).flatMap((rs) => {
    const service = String(attributesOf(rs.resource?.attributes)['service.name']);
    return (rs.scopeSpans ?? []).flatMap((ss) =>
      (ss.spans ?? []).map((s) => ({
        service,
        traceId: hex(s.traceId),
        spanId: hex(s.spanId),
        parentSpanId: hex(s.parentSpanId),
        name: s.name,
        attributes: attributesOf(s.attributes),
      })),
    );
  });
}

/** JSON carries ids as hex, protobuf as bytes. */
const hex = (id: string | Uint8Array | undefined) => (id === undefined ? '' : typeof id === 'string' ? id : Buffer.from(id).toString('hex'));

function attributesOf(list: KeyValue[] = []): Record<string, unknown> {
  return Object.fromEntries(list.map((kv) => [kv.key, valueOf(kv.value)]));
}

function valueOf(v: AnyValue | undefined): unknown {
  if (!v) return undefined;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue.toString());
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(valueOf);
  return undefined;
}
