import type { CodeInterpreterToolCall } from 'openai/resources/beta/threads/runs/steps';
import { parse as parsePartialJson } from 'partial-json';
import type { CodeSessions } from '../../src/sandbox/sessions.js';
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

const logsOf = (call: CodeInterpreterToolCall) =>
  call.code_interpreter.outputs.map((o) => (o.type === 'logs' ? o.logs : `[image ${o.image.file_id}]`)).join('\n');

/**
 * `code_interpreter`: Python in the thread's sandboxed session (src/sandbox). The model is
 * offered a function with one `code` string; the step records OpenAI's call shape, streaming the
 * code while the model writes it and the outputs once it has run. An exception or a limit hit
 * is output for the model to read, never a failed run.
 */
export function codeInterpreter(sessions: CodeSessions, timeoutSeconds: number): ServerTool {
  return {
    type: NAME,
    spec: {
      name: NAME,
      description:
        'Runs Python 3 in a stateful session of this conversation (variables and files in /mnt/data persist between calls). ' +
        'numpy, pandas and matplotlib are installed; there is no network. Print what you want to see; a trailing expression is shown.',
      parameters: { type: 'object', properties: { code: { type: 'string', description: 'The Python code to run' } }, required: ['code'] },
    },
    // The wall time limit is kept in the session; the activity gets room to report it.
    timeoutMs: (timeoutSeconds + 30) * 1000,
    pending: (call) => ({ id: call.id, type: NAME, code_interpreter: { input: codeOf(call.arguments), outputs: [] } }),
    async execute(stored, ctx) {
      const call = asCall(stored);
      const result = await sessions.run(ctx.run.threadId, call.code_interpreter.input, [], ctx.signal);
      const logs = result.logs || (result.error ? '' : '(no output)');
      return { ...call, code_interpreter: { ...call.code_interpreter, outputs: [{ type: 'logs', logs }] } };
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
