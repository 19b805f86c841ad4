/**
 * The openai-node majors the suite drives (package.json installs 4–6 as npm aliases beside the
 * project's own 7), reduced to what the walkthrough needs. Calls whose signatures agree across
 * majors go through `Sdk` directly; the run calls that 5.x made take `{ thread_id }` instead of
 * a positional thread id (4.x, the seed's) are behind `RunCalls`.
 */
import OpenAI7 from 'openai';
import { VERSION as VERSION7 } from 'openai/version';
import OpenAI4 from 'openai-v4';
import { VERSION as VERSION4 } from 'openai-v4/version';
import OpenAI5 from 'openai-v5';
import { VERSION as VERSION5 } from 'openai-v5/version';
import OpenAI6 from 'openai-v6';
import { VERSION as VERSION6 } from 'openai-v6/version';

export interface RunLike {
  id: string;
  status: string;
  required_action?: { submit_tool_outputs: { tool_calls: { id: string; function: { name: string; arguments: string } }[] } } | null;
}
export interface MessageLike {
  role: string;
  content: { type: string; text?: { value: string } }[];
}
export interface StreamLike {
  on(event: 'toolCallCreated', listener: (call: { type: string; id?: string }) => void): StreamLike;
  on(event: 'textDelta', listener: (delta: { value?: string }, snapshot: { value: string }) => void): StreamLike;
  finalRun(): Promise<RunLike>;
  finalMessages(): Promise<MessageLike[]>;
}
type ToolOutput = { tool_call_id: string; output: string };
type Poll = { pollIntervalMs?: number };
type RunBody = { assistant_id: string; instructions?: string };
type FunctionTool = { type: 'function'; function: { name: string; description?: string; parameters?: Record<string, unknown> } };

/** The part of the client whose signatures every major shares. */
export interface Sdk {
  beta: {
    assistants: {
      create(body: { model: string; name?: string; instructions?: string; tools?: FunctionTool[] }): PromiseLike<{ id: string }>;
      retrieve(id: string): PromiseLike<{ id: string }>;
    };
    threads: {
      create(): PromiseLike<{ id: string }>;
      messages: {
        create(threadId: string, body: { role: 'user'; content: string }): PromiseLike<unknown>;
        list(threadId: string): PromiseLike<{ data: MessageLike[] }>;
      };
      runs: {
        create(threadId: string, body: RunBody): PromiseLike<RunLike>;
        createAndPoll(threadId: string, body: RunBody, options?: Poll): PromiseLike<RunLike>;
        stream(threadId: string, body: RunBody): StreamLike;
      };
    };
  };
}

/** The run calls whose signatures changed in 5.x, with the thread id first as 4.x had it. */
export interface RunCalls {
  retrieve(threadId: string, runId: string): PromiseLike<RunLike>;
  submitToolOutputs(threadId: string, runId: string, outputs: ToolOutput[]): PromiseLike<RunLike>;
  poll(threadId: string, runId: string, options?: Poll): PromiseLike<RunLike>;
  submitToolOutputsAndPoll(threadId: string, runId: string, outputs: ToolOutput[], options?: Poll): PromiseLike<RunLike>;
  submitToolOutputsStream(threadId: string, runId: string, outputs: ToolOutput[]): StreamLike;
}

/** 5.x and later: the run id first, the thread id in the params. */
interface ParamsRuns {
  retrieve(runId: string, params: { thread_id: string }): PromiseLike<RunLike>;
  submitToolOutputs(runId: string, params: { thread_id: string; tool_outputs: ToolOutput[] }): PromiseLike<RunLike>;
  poll(runId: string, params: { thread_id: string }, options?: Poll): PromiseLike<RunLike>;
  submitToolOutputsAndPoll(runId: string, params: { thread_id: string; tool_outputs: ToolOutput[] }, options?: Poll): PromiseLike<RunLike>;
  submitToolOutputsStream(runId: string, params: { thread_id: string; tool_outputs: ToolOutput[] }): StreamLike;
}

function withParams(runs: ParamsRuns): RunCalls {
  return {
    retrieve: (thread_id, runId) => runs.retrieve(runId, { thread_id }),
    submitToolOutputs: (thread_id, runId, tool_outputs) => runs.submitToolOutputs(runId, { thread_id, tool_outputs }),
    poll: (thread_id, runId, options) => runs.poll(runId, { thread_id }, options),
    submitToolOutputsAndPoll: (thread_id, runId, tool_outputs, options) => runs.submitToolOutputsAndPoll(runId, { thread_id, tool_outputs }, options),
    submitToolOutputsStream: (thread_id, runId, tool_outputs) => runs.submitToolOutputsStream(runId, { thread_id, tool_outputs }),
  };
}

export interface Generation {
  major: number;
  /** The installed release, e.g. `4.104.0`. */
  version: string;
  connect(baseURL: string): { sdk: Sdk; runs: RunCalls };
  /** The generation's own error class for a 404, so the SDK itself must have mapped our response. */
  NotFoundError: abstract new (...args: never[]) => Error & { status: number | undefined };
}

const options = (baseURL: string) => ({ baseURL, apiKey: 'EMPTY', maxRetries: 0 });

/** 5.x and later take the thread id in the params: one entry shape serves them all. */
function paramsGeneration(major: number, version: string, Sdk: typeof OpenAI5 | typeof OpenAI6 | typeof OpenAI7): Generation {
  return {
    major,
    version,
    connect(baseURL) {
      const c = new Sdk(options(baseURL));
      return { sdk: c, runs: withParams(c.beta.threads.runs) };
    },
    NotFoundError: Sdk.NotFoundError,
  };
}

export const generations: Generation[] = [
  {
    major: 4,
    version: VERSION4,
    connect(baseURL) {
      const c = new OpenAI4(options(baseURL));
      const runs = c.beta.threads.runs;
      return {
        sdk: c,
        runs: {
          retrieve: (threadId, runId) => runs.retrieve(threadId, runId),
          submitToolOutputs: (threadId, runId, tool_outputs) => runs.submitToolOutputs(threadId, runId, { tool_outputs }),
          poll: (threadId, runId, options) => runs.poll(threadId, runId, options),
          submitToolOutputsAndPoll: (threadId, runId, tool_outputs, options) => runs.submitToolOutputsAndPoll(threadId, runId, { tool_outputs }, options),
          submitToolOutputsStream: (threadId, runId, tool_outputs) => runs.submitToolOutputsStream(threadId, runId, { tool_outputs }),
        },
      };
    },
    NotFoundError: OpenAI4.NotFoundError,
  },
  paramsGeneration(5, VERSION5, OpenAI5),
  paramsGeneration(6, VERSION6, OpenAI6),
  paramsGeneration(7, VERSION7, OpenAI7),
];
