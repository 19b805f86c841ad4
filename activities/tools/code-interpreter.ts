import type { CodeInterpreterToolCall } from 'openai/resources/beta/threads/runs/steps';
import type { ResponseCodeInterpreterToolCall } from 'openai/resources/responses/responses';
import path from 'node:path';
import { parse as parsePartialJson } from 'partial-json';
import type { Db } from '../../src/db/client.js';
import type { RunRecord, ToolFile } from '../../src/db/records.js';
import type { ResponseRecord } from '../../src/db/responses.js';
import type { CodeSessions } from '../../src/sandbox/sessions.js';
import { readFileBytes, storeFile, type FileStore } from '../../src/services/file-content.js';
import { codeDelta, codeDone, codeInterpreterEvent } from '../../src/wire/response-events.js';
import type { ContextItem, ResponsesToolSide, ServerTool } from './registry.js';

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
 * for code_interpreter, in that order, each file once (named as `namedInputs` says, so a file
 * keeps its name from one call to the next as more arrive).
 */
export async function codeInputs(db: Db, run: Pick<RunRecord, 'projectId' | 'threadId' | 'toolResources'>): Promise<CodeInput[]> {
  type Resources = { code_interpreter?: { file_ids?: string[] } } | null;
  const [thread, messages] = await Promise.all([
    db.thread.findUnique({ where: { id: run.threadId }, select: { toolResources: true } }),
    db.message.findMany({ where: { threadId: run.threadId }, select: { attachments: true }, orderBy: { id: 'asc' } }),
  ]);
  const attached = messages.flatMap((m) =>
    (m.attachments as { file_id: string; tools?: { type: string }[] }[]).filter((a) => a.tools?.some((t) => t.type === 'code_interpreter')).map((a) => a.file_id),
  );
  return namedInputs(db, run.projectId, [
    ...((run.toolResources as Resources)?.code_interpreter?.file_ids ?? []),
    ...((thread?.toolResources as Resources)?.code_interpreter?.file_ids ?? []),
    ...attached,
  ]);
}

/**
 * Files by id (each once, in order) with the names they have under /mnt/data: a name taken by
 * an earlier file gets the file's id before its extension. Deleted files are left out, and any
 * of another project (which the API refused to name already).
 */
async function namedInputs(db: Db, projectId: string, fileIds: string[]): Promise<CodeInput[]> {
  const ids = [...new Set(fileIds)];
  if (ids.length === 0) return [];
  const rows = await db.file.findMany({ where: { id: { in: ids }, projectId }, select: { id: true, filename: true } });
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

/** The files of a response's `code_interpreter` tool (`container.file_ids`). */
function responseFileIds(response: ResponseRecord): string[] {
  const tool = (response.request.tools as { type: string; container?: unknown }[]).find((t) => t.type === NAME);
  const container = tool?.container as { file_ids?: string[] } | undefined;
  return container?.file_ids ?? [];
}

const filesNote = (inputs: CodeInput[]) => (inputs.length ? `Files for code_interpreter, read-only in /mnt/data: ${inputs.map((f) => `/mnt/data/${f.name}`).join(', ')}` : undefined);

interface CodeRun {
  logs: string;
  /** Open figures, as PNG. */
  images: Buffer[];
}

/**
 * One call in a session, for either API: `inputs` appear under /mnt/data, and every file the
 * code wrote or changed there becomes a File (`assistants_output`) the answer may link.
 * The logs are never empty without an image: a call with no output at all reads as not run.
 */
async function runCode(
  sessions: CodeSessions,
  store: FileStore,
  projectId: string,
  session: string,
  code: string,
  inputs: CodeInput[],
  ctx: { signal: AbortSignal; heartbeat(): void; wrote(file: Omit<ToolFile, 'call_id'>): void },
): Promise<CodeRun> {
  const files = inputs.map((f) => ({ name: f.name, bytes: () => readFileBytes(store, f.fileId) }));
  const result = await sessions.run(session, code, files, ctx.signal);
  ctx.heartbeat();
  for (const f of result.files) {
    const file = await storeFile(store, { projectId, filename: path.basename(f.name), purpose: 'assistants_output', contentType: contentTypeOf(f.name), bytes: f.bytes });
    ctx.wrote({ path: f.name, file_id: file.id });
  }
  return { logs: result.logs || (result.error || result.images.length ? '' : '(no output)'), images: result.images };
}

const logsOf = (call: CodeInterpreterToolCall) =>
  call.code_interpreter.outputs.map((o) => (o.type === 'logs' ? o.logs : `[image ${o.image.file_id}]`)).join('\n');

const asItem = (item: unknown) => item as ResponseCodeInterpreterToolCall;

/**
 * A response's session is its container: the one an earlier call in what the response sees
 * used (OpenAI's `auto`: "reuses an active container used by a previous code_interpreter_call
 * item in the context"), else a new one named after the response.
 */
function containerOf(response: ResponseRecord, context: readonly ContextItem[]): string {
  const earlier = [...context].reverse().find((i) => i.type === 'code_interpreter_call' && typeof i.container_id === 'string');
  return earlier ? String(earlier.container_id) : `cntr_${response.id.slice(response.id.indexOf('_') + 1)}`;
}

/** code_interpreter in a response: a `code_interpreter_call` item (`ci_…`) with OpenAI's events. */
function responsesSide(sessions: CodeSessions, store: FileStore): ResponsesToolSide {
  return {
    itemType: 'code_interpreter_call',
    idKind: 'codeInterpreterCall',
    open: (id, _call, response, context) => ({ id, type: 'code_interpreter_call', status: 'in_progress', code: '', container_id: containerOf(response, context), outputs: null }),
    opened(at, call) {
      const code = codeOf(call.arguments);
      return [codeInterpreterEvent(at, 'in_progress'), ...(code ? [codeDelta(at, code)] : [])];
    },
    fragment(at, soFar, fragment) {
      const added = codeAdded(soFar, fragment);
      return added ? [codeDelta(at, added)] : [];
    },
    written(item, call, at) {
      const code = codeOf(call.arguments);
      return { item: { ...asItem(item), code, status: 'interpreting' }, events: [codeDone(at, code), codeInterpreterEvent(at, 'interpreting')] };
    },
    async execute(stored, ctx, at) {
      const item = asItem(stored);
      const inputs = await namedInputs(store.db, ctx.response.projectId, responseFileIds(ctx.response));
      const run = await runCode(sessions, store, ctx.response.projectId, item.container_id, item.code ?? '', inputs, ctx);
      // A figure's image is its PNG inline: the item stands on its own wherever it is shown.
      const outputs: NonNullable<ResponseCodeInterpreterToolCall['outputs']> = [
        ...(run.logs || !run.images.length ? [{ type: 'logs' as const, logs: run.logs }] : []),
        ...run.images.map((png) => ({ type: 'image' as const, url: `data:image/png;base64,${png.toString('base64')}` })),
      ];
      return { item: { ...item, status: 'completed', outputs }, events: [codeInterpreterEvent(at, 'completed')] };
    },
    transcript(stored) {
      const item = asItem(stored);
      const output = item.status === 'completed' ? (item.outputs ?? []).map((o) => (o.type === 'logs' ? o.logs : '[image]')).join('\n') : null;
      return { call: { id: item.id, name: NAME, arguments: JSON.stringify({ code: item.code ?? '' }) }, output };
    },
    async instructions(response) {
      return filesNote(await namedInputs(store.db, response.projectId, responseFileIds(response)));
    },
  };
}

/** What `fragment` adds to the code of the arguments written so far; undefined: nothing yet. */
function codeAdded(soFar: string, fragment: string): string | undefined {
  const before = codeOf(soFar.slice(0, soFar.length - fragment.length));
  const after = codeOf(soFar);
  // A prefix cut inside an escape may parse short; the next fragment brings the rest.
  return after.length > before.length && after.startsWith(before) ? after.slice(before.length) : undefined;
}

/**
 * `code_interpreter`: Python in a sandboxed session (src/sandbox) — a thread's for a run, a
 * container's for a response. The model is offered a function with one `code` string; runs
 * record OpenAI's step call shape and responses its `code_interpreter_call` item, each
 * streaming the code while the model writes it and the outputs once it has run. An exception
 * or a limit hit is output for the model to read, never a failed run or response.
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
      return filesNote(await codeInputs(store.db, run));
    },
    async execute(stored, ctx) {
      const call = asCall(stored);
      const run = await runCode(sessions, store, ctx.run.projectId, ctx.run.threadId, call.code_interpreter.input, await codeInputs(store.db, ctx.run), ctx);
      // Figures become Files, the call's image outputs, which the run's next message shows.
      const images = [];
      for (const [i, png] of run.images.entries()) {
        images.push(await storeFile(store, { projectId: ctx.run.projectId, filename: `figure-${i + 1}.png`, purpose: 'assistants_output', contentType: 'image/png', bytes: png }));
      }
      const outputs: Output[] = [
        ...(run.logs || !images.length ? [{ type: 'logs' as const, logs: run.logs }] : []),
        ...images.map((f): Output => ({ type: 'image', image: { file_id: f.id } })),
      ];
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
        const added = codeAdded(soFar, fragment);
        return added === undefined ? undefined : { type: NAME, code_interpreter: { input: added } };
      },
      outputs: (done) => ({ type: NAME, code_interpreter: { outputs: asCall(done).code_interpreter.outputs.map((o, index) => ({ index, ...o })) } }),
    },
    responses: responsesSide(sessions, store),
  };
}
