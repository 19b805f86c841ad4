import 'dotenv/config';
import path from 'node:path';
import { z } from 'zod';
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

const EnvSchema = z.object({
  HOST: z.string().default('127.0.0.1'),
  PORT: port.default(3000),
  DATA_DIR: z.string().default('./data'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  API_KEYS: optionalString,
  BODY_LIMIT: z.string().default('2mb'),

  DATABASE_URL: optionalString,
  POSTGRES_PORT: port.default(54329),

  TEMPORAL_ADDRESS: optionalString,
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default('assistants-runs'),
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

  MODEL_URL: z.string().default('http://localhost:8000/v1/chat/completions'),
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

  RUN_EXPIRY_SECONDS: z.coerce.number().int().positive().default(600),

  // The `files` table's `bytes` is a 32-bit integer.
  MAX_FILE_BYTES: z.coerce.number().int().positive().max(2 ** 31 - 1).default(512 * 1024 * 1024),
  FILE_MIN_EXPIRY_SECONDS: z.coerce.number().int().positive().default(3600),

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
  bodyLimit: string;
  postgres: { url?: string; embeddedPort: number };
  temporal: { address?: string; namespace: string; taskQueue: string; embeddedPort: number; uiPort: number };
  s3: { endpoint?: string; accessKey: string; secretKey: string; bucket: string; region: string; embeddedPort: number };
  /** Binaries of the embedded Temporal and SeaweedFS; unset: found on PATH or in .venv. */
  binaries: { temporal?: string; weed?: string };
  llm: {
    modelUrl: string;
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
  };
  runExpirySeconds: number;
  files: {
    maxBytes: number;
    /** Smallest `expires_after.seconds` accepted: OpenAI's 3600; lower only for tests. */
    minExpirySeconds: number;
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
    bodyLimit: e.BODY_LIMIT,
    postgres: { url: e.DATABASE_URL, embeddedPort: e.POSTGRES_PORT },
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
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
    binaries: { temporal: e.TEMPORAL_CLI_PATH, weed: e.WEED_PATH },
    llm: {
      modelUrl: e.MODEL_URL,
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
    },
    runExpirySeconds: e.RUN_EXPIRY_SECONDS,
    files: { maxBytes: e.MAX_FILE_BYTES, minExpirySeconds: e.FILE_MIN_EXPIRY_SECONDS },
    worker: {
      inApi: e.API_WORKER,
      workflowBundlePath: e.WORKFLOW_BUNDLE_PATH,
      maxCachedWorkflows: e.WORKER_MAX_CACHED_WORKFLOWS,
      maxConcurrentActivities: e.WORKER_MAX_CONCURRENT_ACTIVITIES,
      dbPoolSize: e.WORKER_DB_POOL_SIZE,
    },
  };
}
