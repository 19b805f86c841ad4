/** Small helpers shared by the benchmark's sections: statistics, formatting, memory, threads. */
import { readFile } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The p-th percentile (0–100) by nearest rank; NaN for no samples. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export const median = (values: number[]) => percentile(values, 50);

export function fmt(n: number, digits = 1): string {
  return Number.isFinite(n) ? n.toFixed(digits) : 'n/a';
}

/** `VmRSS` of a process in MB, from /proc; NaN once it is gone. */
export async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
  return kb ? Number(kb) / 1024 : NaN;
}

/** RSS split into anonymous memory (heaps) and file-backed pages (code, mapped files), and the thread count. */
export async function memoryDetail(pid: number): Promise<string> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const mb = (field: string) => {
    const kb = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status)?.[1];
    return kb ? `${(Number(kb) / 1024).toFixed(0)} MB` : 'n/a';
  };
  const threads = /^Threads:\s+(\d+)/m.exec(status)?.[1] ?? 'n/a';
  return `RssAnon ${mb('RssAnon')}, RssFile ${mb('RssFile')}, ${threads} threads`;
}

/**
 * The main thread's V8 heap (used of allocated) and external memory, from a process's
 * Prometheus scrape (Node's default metrics): what of its RSS is the main isolate's; the rest is
 * the workflow thread's isolate, Temporal's core and native buffers.
 */
export async function heapDetail(metricsUrl: string): Promise<string> {
  const text = await fetch(metricsUrl).then((r) => r.text(), () => '');
  const mb = (name: string) => {
    const value = new RegExp(`^assistants_${name} (\\S+)$`, 'm').exec(text)?.[1];
    return value ? `${(Number(value) / 2 ** 20).toFixed(0)}` : 'n/a';
  };
  return `main heap ${mb('nodejs_heap_size_used_bytes')} of ${mb('nodejs_heap_size_total_bytes')} MB, external ${mb('nodejs_external_memory_bytes')} MB`;
}

/** Polls `probe` every `everyMs` until it returns true; throws after `timeoutMs`. */
export async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs: number, everyMs = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Runs `fn` over `items` with at most `limit` at once. */
export async function pool<T>(items: T[], limit: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i]!, i);
      }
    }),
  );
}

const TSX_API = import.meta.resolve('tsx/esm/api');

/** A worker thread running a TypeScript module (tsx registered in the thread first). */
export function tsThread(file: URL, workerData: unknown): Worker {
  const code = `import(${JSON.stringify(TSX_API)}).then((m) => { m.register(); return import(${JSON.stringify(file.href)}); })`;
  return new Worker(code, { eval: true, workerData });
}

/** INVALID: the run did not reach the conditions the figure is defined for. */
export type Verdict = 'PASS' | 'MISS' | 'INFO' | 'ERROR' | 'SKIP' | 'INVALID';

export interface Row {
  section: string;
  metric: string;
  target: string;
  measured: string;
  baseline: string;
  verdict: Verdict;
}

/** A plain-text table, columns padded to their widest cell. */
export function table(rows: Row[]): string {
  const head: Row = { section: '', metric: 'metric', target: 'target', measured: 'measured', baseline: 'baseline (same run)', verdict: 'PASS' };
  const cols = ['section', 'metric', 'target', 'measured', 'baseline', 'verdict'] as const;
  const cells = [head, ...rows].map((r, i) => cols.map((c) => (i === 0 && c === 'verdict' ? 'result' : r[c])));
  const widths = cols.map((_, j) => Math.max(...cells.map((row) => row[j]!.length)));
  const line = (row: string[]) => '| ' + row.map((c, j) => c.padEnd(widths[j]!)).join(' | ') + ' |';
  const rule = '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|';
  return [line(cells[0]!), rule, ...cells.slice(1).map(line)].join('\n');
}

const CLK_TCK = 100;

/** CPU seconds (user + system) used so far by every process on the machine, by pid. */
export async function cpuByPid(): Promise<Map<number, { comm: string; seconds: number }>> {
  const { readdir } = await import('node:fs/promises');
  const out = new Map<number, { comm: string; seconds: number }>();
  const pids = (await readdir('/proc')).filter((d) => /^\d+$/.test(d));
  await Promise.all(
    pids.map(async (d) => {
      const stat = await readFile(`/proc/${d}/stat`, 'utf8').catch(() => '');
      const close = stat.lastIndexOf(')');
      if (close < 0) return;
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      // Fields after the comm start at field 3 (state); utime and stime are fields 14 and 15.
      const rest = stat.slice(close + 2).split(' ');
      out.set(Number(d), { comm, seconds: (Number(rest[11]) + Number(rest[12])) / CLK_TCK });
    }),
  );
  return out;
}

/**
 * Where the CPU went between two snapshots, as a share of one core (100% = one core busy),
 * grouped by `label(pid, comm)`; groups under 1% are left out.
 */
export function cpuShares(
  before: Map<number, { comm: string; seconds: number }>,
  after: Map<number, { comm: string; seconds: number }>,
  wallSeconds: number,
  label: (pid: number, comm: string) => string,
): [string, number][] {
  const groups = new Map<string, number>();
  for (const [pid, { comm, seconds }] of after) {
    const used = seconds - (before.get(pid)?.seconds ?? 0);
    if (used <= 0) continue;
    const name = label(pid, comm);
    groups.set(name, (groups.get(name) ?? 0) + used);
  }
  return [...groups.entries()]
    .map(([name, s]): [string, number] => [name, (100 * s) / wallSeconds])
    .filter(([, pct]) => pct >= 1)
    .sort((a, b) => b[1] - a[1]);
}

/**
 * The machine's CPU time so far (/proc/stat, all cores), with `steal`: time a virtual machine's
 * cores were ready but the hypervisor ran someone else. Steal slows every figure alike.
 */
export async function cpuTimes(): Promise<{ total: number; steal: number }> {
  const fields = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return { total: fields.reduce((a, b) => a + b, 0), steal: fields[7] ?? 0 };
}

/** Steal as a share of the CPU time between two readings. */
export const stealShare = (before: { total: number; steal: number }, after: { total: number; steal: number }) =>
  after.total > before.total ? (after.steal - before.steal) / (after.total - before.total) : 0;
