import type { CodeInterpreterToolCall } from 'openai/resources/beta/threads/runs/steps';
import path from 'node:path';
import { parse as parsePartialJson } from 'partial-json';
import type { Db } from '../../src/db/client.js';
import type { RunRecord } from '../../src/db/records.js';
import type { CodeSessions, InputFile } from '../../src/sandbox/sessions.js';
import { readFileBytes, storeFile, type FileStore } from '../../src/services/file-content.js';
import type { ServerTool } from './registry.js';

const NAME = 'code_interpreter';

/** The `code` of the model's arguments as far as they go (a prefix of JSON while it writes). */
function codeOf(args: string): string {
  try {
    const value = parsePartialJson(args) as { code?: unknown } | undefined;
    return typeof value?.code === 'string' ? value.code : '';
  } catch {
    return '';
  }
}

const asCall = (c: unknown) => c as CodeInterpreterToolCall;
type Output = CodeInterpreterToolCall['code_interpreter']['outputs'][number];

/** A file of the run's inputs and the name it has under /mnt/data. */
export interface CodeInput {
  fileId: string;
  name: string;
}

/**
 * The files a run's code reads under /mnt/data: the run's `tool_resources.code_interpreter`
 * (its assistant's, as the run started), the thread's, then the thread's message attachments
 * for code_interpreter, in that order, each file once. Deleted files are left out. A name
 * taken by an earlier file gets the file's id before its extension (`data-file-….csv`), so
 * a file keeps its name from one call to the next as more arrive.
 */
export async function codeInputs(db: Db, run: Pick<RunRecord, 'threadId' | 'toolResources'>): Promise<CodeInput[]> {
  type Resources = { code_interpreter?: { file_ids?: string[] } } | null;
  const [thread, messages] = await Promise.all([
    db.thread.findUnique({ where: { id: run.threadId }, select: { toolResources: true } }),
    db.message.findMany({ where: { threadId: run.threadId }, select: { attachments: true }, orderBy: { id: 'asc' } }),
  ]);
  const attached = messages.flatMap((m) =>
    (m.attachments as { file_id: string; tools?: { type: string }[] }[]).filter((a) => a.tools?.some((t) => t.type === 'code_interpreter')).map((a) => a.file_id),
  );
  const ids = [
    ...new Set([
      ...((run.toolResources as Resources)?.code_interpreter?.file_ids ?? []),
      ...((thread?.toolResources as Resources)?.code_interpreter?.file_ids ?? []),
      ...attached,
    ]),
  ];
  if (ids.length === 0) return [];
  const rows = await db.file.findMany({ where: { id: { in: ids } }, select: { id: true, filename: true } });
  const byId = new Map(rows.map((r) => [r.id, r.filename]));
  const taken = new Set<string>();
  const inputs: CodeInput[] = [];
  for (const fileId of ids) {
    const filename = byId.get(fileId);
    if (filename === undefined) continue;
    // A name, never a path: no directory parts, nothing hidden or empty.
    const base = path.basename(filename.replaceAll('\\', '/')).replace(/^\.+/, '').replace(/[\0/]/g, '') || fileId;
    const ext = path.extname(base);
    const name = taken.has(base) ? `${base.slice(0, base.length - ext.length)}-${fileId}${ext}` : base;
    taken.add(name);
    inputs.push({ fileId, name });
  }
  return inputs;
}

const CONTENT_TYPES: Record<string, string> = {
  '.csv': 'text/csv',
  '.txt': 'text/plain',
  '.md': 'text/markdown',
  '.json': 'application/json',
  '.html': 'text/html',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.svg': 'image/svg+xml',
  '.pdf': 'application/pdf',
  '.zip': 'application/zip',
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};
const contentTypeOf = (name: string) => CONTENT_TYPES[path.extname(name).toLowerCase()] ?? 'application/octet-stream';

const logsOf = (call: CodeInterpreterToolCall) =>
  call.code_interpreter.outputs.map((o) => (o.type === 'logs' ? o.logs : `[image ${o.image.file_id}]`)).join('\n');

/**
 * `code_interpreter`: Python in the thread's sandboxed session (src/sandbox). The model is
 * offered a function with one `code` string; the step records OpenAI's call shape, streaming the
 * code while the model writes it and the outputs once it has run. An exception or a limit hit
 * is output for the model to read, never a failed run.
 */
export function codeInterpreter(sessions: CodeSessions, timeoutSeconds: number, store: FileStore): ServerTool {
  return {
    type: NAME,
    spec: {
      name: NAME,
      description:
        'Runs Python 3 in a stateful session of this conversation (variables and files in /mnt/data persist between calls). ' +
        'numpy, pandas and matplotlib are installed; there is no network. Print what you want to see; a trailing expression is shown. ' +
        'Figures left open are shown to the user as images. To give the user a file, save it under /mnt/data and link it in your answer as [name](sandbox:/mnt/data/name).',
      parameters: { type: 'object', properties: { code: { type: 'string', description: 'The Python code to run' } }, required: ['code'] },
    },
    // The wall time limit is kept in the session; the activity gets room to report it.
    timeoutMs: (timeoutSeconds + 30) * 1000,
    pending: (call) => ({ id: call.id, type: NAME, code_interpreter: { input: codeOf(call.arguments), outputs: [] } }),
    async instructions(run) {
      const inputs = await codeInputs(store.db, run);
      if (!inputs.length) return undefined;
      return `Files for code_interpreter, read-only in /mnt/data: ${inputs.map((f) => `/mnt/data/${f.name}`).join(', ')}`;
    },
    async execute(stored, ctx) {
      const call = asCall(stored);
      const inputs: InputFile[] = (await codeInputs(store.db, ctx.run)).map((f) => ({ name: f.name, bytes: () => readFileBytes(store, f.fileId) }));
      const result = await sessions.run(ctx.run.threadId, call.code_interpreter.input, inputs, ctx.signal);
      ctx.heartbeat();
      // What the code made becomes Files: figures as the call's image outputs, written files
      // for the answer to link (the step's toolFiles).
      const images = [];
      for (const [i, png] of result.images.entries()) {
        images.push(await storeFile(store, { filename: `figure-${i + 1}.png`, purpose: 'assistants_output', contentType: 'image/png', bytes: png }));
      }
      for (const f of result.files) {
        const file = await storeFile(store, { filename: path.basename(f.name), purpose: 'assistants_output', contentType: contentTypeOf(f.name), bytes: f.bytes });
        ctx.wrote({ path: f.name, file_id: file.id });
      }
      const outputs: Output[] = [];
      // At least one output: a call without any reads as not run yet (`transcript`).
      const logs = result.logs || (result.error || images.length ? '' : '(no output)');
      if (logs || !images.length) outputs.push({ type: 'logs', logs });
      outputs.push(...images.map((f): Output => ({ type: 'image', image: { file_id: f.id } })));
      return { ...call, code_interpreter: { ...call.code_interpreter, outputs } };
    },
    transcript(stored) {
      const call = asCall(stored);
      return {
        call: { id: call.id, name: NAME, arguments: JSON.stringify({ code: call.code_interpreter.input }) },
        output: call.code_interpreter.outputs.length ? logsOf(call) : null,
      };
    },
    deltas: {
      opening: (call) => ({ id: call.id, type: NAME, code_interpreter: { input: codeOf(call.arguments), outputs: [] } }),
      fragment(soFar, fragment) {
        const before = codeOf(soFar.slice(0, soFar.length - fragment.length));
        const after = codeOf(soFar);
        // A prefix cut inside an escape may parse short; the next fragment brings the rest.
        return after.length > before.length && after.startsWith(before) ? { type: NAME, code_interpreter: { input: after.slice(before.length) } } : undefined;
      },
      outputs: (done) => ({ type: NAME, code_interpreter: { outputs: asCall(done).code_interpreter.outputs.map((o, index) => ({ index, ...o })) } }),
    },
  };
}
