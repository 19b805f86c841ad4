import type { Annotation } from 'openai/resources/beta/threads/messages';
import type { Db, Prisma } from '../../src/db/client.js';
import { zeroUsage, type MessageRecord, type RunRecord, type StepRecord, type Usage } from '../../src/db/records.js';
import { updateMessage } from '../../src/db/messages.js';
import { closeRun, completeMessageStep, insertStep, setToolCalls } from '../../src/db/runs.js';
import { publish } from '../../src/events/publish.js';
import { newId } from '../../src/ids.js';
import { countRunEnded } from '../../src/metrics.js';
import type { RunOutcome } from '../../src/run-status.js';
import { nowSeconds } from '../../src/time.js';
import { closedRunEvents, messageDelta, messageEvent, stepEvent, textDelta, toolCallDelta, type StreamEvent } from '../../src/wire/stream-events.js';
import { citationsIn } from '../tools/file-search.js';
import type { ModelCall, ToolRegistry } from '../tools/registry.js';
import type { TurnResult } from '../types.js';
import type { ToolMade } from './conversation.js';
import type { TurnProjector } from './machine.js';

/** A turn's steps are keyed by turn, so a retried attempt finds what an earlier one wrote. */
export const stepKey = (turn: number, kind: 'message' | 'tools') => `${turn}:${kind}`;

type FilePath = Extract<Annotation, { type: 'file_path' }>;

/** `sandbox:/mnt/data/<path>` as the model writes it in a link; it ends at space, quotes and brackets. */
const SANDBOX_LINK = /sandbox:\/mnt\/data\/([^\s()[\]<>"'`]+)/g;

/**
 * The `file_path` annotations of an answer: each `sandbox:/mnt/data/<path>` whose path names a
 * file the run's code wrote (openai-contract.md §7). A link's end may carry the sentence's
 * punctuation, or be URL-encoded. Indexes count characters (code points) of the text.
 */
export function filePathAnnotations(text: string, files: ReadonlyMap<string, string>): FilePath[] {
  if (files.size === 0) return [];
  const found: FilePath[] = [];
  for (const m of text.matchAll(SANDBOX_LINK)) {
    let link = m[0];
    let fileId: string | undefined;
    for (; link.length > 'sandbox:/mnt/data/'.length; link = link.slice(0, -1)) {
      const p = link.slice('sandbox:/mnt/data/'.length);
      fileId = files.get(p) ?? files.get(safeDecode(p));
      if (fileId || !/[.,;:!?]$/.test(link)) break;
    }
    if (!fileId) continue;
    const start = [...text.slice(0, m.index)].length;
    found.push({ type: 'file_path', text: link, file_path: { file_id: fileId }, start_index: start, end_index: start + [...link].length });
  }
  return found;
}

/** An answer's annotations in text order: citations of file_search results and links to files the code wrote. */
export function answerAnnotations(text: string, made: ToolMade): Annotation[] {
  const citations = citationsIn(text, made.cited).map(
    (c): Annotation => ({ type: 'file_citation', text: c.text, file_citation: { file_id: c.fileId }, start_index: c.start, end_index: c.end }),
  );
  return [...citations, ...filePathAnnotations(text, made.files)].sort((a, b) => a.start_index - b.start_index);
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * The Assistants API's view of a turn: a `message_creation` step and its message for text, a
 * `tool_calls` step for tool calls, and their stream events in OpenAI's order
 * (docs/wire-contract.md §4). A message shows first the images the run's server tools made
 * since its last message (`image_file` parts), then its text, whose `sandbox:/mnt/data/…` links
 * to files the code wrote become `file_path` annotations when it is complete.
 */
export class AssistantsProjector implements TurnProjector {
  #message?: { stepId: string; messageId: string };
  #toolStepId?: string;

  constructor(
    private readonly db: Db,
    private readonly run: RunRecord,
    private readonly turn: number,
    private readonly tools: ToolRegistry,
    /** The turn's start; nothing is written before it, and nothing if the run could not start. */
    private readonly ready: Promise<unknown>,
    /** What earlier turns' server tools made (conversation.ts `toolMadeBefore`). */
    private readonly made: ToolMade = { images: [], files: new Map(), cited: new Map() },
  ) {}

  /** The text part's index: after the images. */
  get #textIndex(): number {
    return this.made.images.length;
  }

  #content(value: string, annotations: Annotation[] = []): MessageRecord['content'] {
    return [...this.made.images.map((file_id) => ({ type: 'image_file' as const, image_file: { file_id } })), { type: 'text', text: { value, annotations } }];
  }

  async #started(): Promise<void> {
    const begun = await this.ready;
    if (begun !== 'ok') throw new Error(`The run could not start this turn (${JSON.stringify(begun)})`);
  }

  /** Opens a step (and its message), publishing their events and then `then`, at one commit. */
  async #openStep(kind: 'message' | 'tools', messageId?: string, then: StreamEvent[] = []): Promise<StepRecord> {
    await this.#started();
    const now = nowSeconds();
    const { id: runId, threadId, assistantId } = this.run;
    const step: StepRecord = {
      id: newId('step'),
      runId,
      threadId,
      assistantId,
      key: stepKey(this.turn, kind),
      createdAt: now,
      type: kind === 'message' ? 'message_creation' : 'tool_calls',
      status: 'in_progress',
      stepDetails: messageId ? { type: 'message_creation', message_creation: { message_id: messageId } } : { type: 'tool_calls', tool_calls: [] },
      lastError: null,
      expiredAt: null,
      cancelledAt: null,
      failedAt: null,
      completedAt: null,
      metadata: {},
      usage: null,
      modelUsage: null,
      toolFiles: [],
    };
    const message: MessageRecord | undefined = messageId
      ? {
          id: messageId,
          threadId,
          createdAt: now,
          role: 'assistant',
          content: [],
          status: 'in_progress',
          incompleteDetails: null,
          completedAt: null,
          incompleteAt: null,
          assistantId,
          runId,
          attachments: [],
          metadata: {},
        }
      : undefined;
    const events = [stepEvent('created', step), stepEvent('in_progress', step)];
    if (message) events.push(messageEvent('created', message), messageEvent('in_progress', message));
    await insertStep(this.db, step, message, [...events, ...then]);
    return step;
  }

  async #openMessage(first?: string): Promise<{ stepId: string; messageId: string }> {
    const messageId = newId('message');
    const images = this.made.images.map((file_id, index) => ({ index, type: 'image_file' as const, image_file: { file_id } }));
    const text = first ? [{ index: this.#textIndex, type: 'text' as const, text: { value: first, annotations: [] } }] : [];
    const opening = images.length || text.length ? [messageDelta(messageId, [...images, ...text])] : [];
    const step = await this.#openStep('message', messageId, opening);
    return { stepId: step.id, messageId };
  }

  async openText(first: string): Promise<void> {
    // The first fragment goes out with the step and message it belongs to: one commit, not two.
    this.#message = await this.#openMessage(first);
  }

  async appendText(fragment: string): Promise<void> {
    await publish(this.db, this.run.id, [textDelta(this.#message!.messageId, fragment, false, this.#textIndex)]);
  }

  async closeTextBeforeTools(text: string): Promise<void> {
    await this.db.$transaction(async (tx) => publish(tx, this.run.id, await this.#completeMessage(tx, text, null)));
  }

  async openToolCall(index: number, call: ModelCall): Promise<void> {
    this.#toolStepId ??= (await this.#openStep('tools')).id;
    await publish(this.db, this.run.id, [toolCallDelta(this.#toolStepId, this.tools.openingDelta(index, call, this.run.tools))]);
  }

  async appendToolArguments(index: number, call: ModelCall, fragment: string): Promise<void> {
    const delta = this.tools.argumentsDelta(index, call, fragment, this.run.tools);
    if (delta) await publish(this.db, this.run.id, [toolCallDelta(this.#toolStepId!, delta)]);
  }

  async keepPartial(text: string): Promise<void> {
    if (this.#message && text) await updateMessage(this.db, this.#message.messageId, { content: this.#content(text) });
  }

  async endWithToolCalls(calls: ModelCall[], usage: Usage): Promise<TurnResult> {
    const stepId = this.#toolStepId!;
    const stored = calls.map((c) => this.tools.pending(c, this.run.tools));
    await setToolCalls(this.db, stepId, stored, { modelUsage: usage });
    const dispatch = this.tools.dispatch(stored, this.run.tools);
    return {
      kind: 'tool_calls',
      stepId,
      callIds: dispatch.flatMap((d) => (d.kind === 'client' ? [d.id] : [])),
      serverCalls: dispatch.flatMap((d) => (d.kind === 'server' ? [{ id: d.id, timeoutMs: d.timeoutMs }] : [])),
    };
  }

  async endWithText(text: string, usage: Usage, outcome: RunOutcome): Promise<TurnResult> {
    // An empty answer still makes an (empty) message, so the run has something to show.
    this.#message ??= await this.#openMessage();
    // An answer in text ends the run here, in the same transaction as the message: the client
    // sees `thread.run.completed` right after it, not one workflow task later.
    const closed = await this.db.$transaction(async (tx) => {
      const events = await this.#completeMessage(tx, text, usage, outcome.status === 'incomplete');
      const run = await closeRun(tx, this.run.id, outcome);
      await publish(tx, this.run.id, [...events, ...closedRunEvents(run)]);
      return run;
    });
    countRunEnded(outcome, closed);
    return { kind: 'ended', status: outcome.status };
  }

  /** Writes the message's final text; `usage` null when a tool step of this turn carries it. */
  async #completeMessage(tx: Prisma.TransactionClient, text: string, usage: Usage | null, incomplete = false): Promise<StreamEvent[]> {
    const m = this.#message!;
    const now = nowSeconds();
    const annotations = answerAnnotations(text, this.made);
    const done = await completeMessageStep(
      tx,
      m,
      {
        content: this.#content(text, annotations),
        status: incomplete ? 'incomplete' : 'completed',
        ...(incomplete ? { incompleteAt: now, incompleteDetails: { reason: 'max_tokens' } } : { completedAt: now }),
      },
      { status: 'completed', completedAt: now, usage: usage ?? zeroUsage, modelUsage: usage ?? undefined },
    );
    if (!done) throw new Error(`The answer's message ${m.messageId} or its step ${m.stepId} no longer exists`);
    // The annotations' own delta, before the message's end; the text part is open by now.
    const annotated = annotations.length
      ? [messageDelta(m.messageId, [{ index: this.#textIndex, type: 'text', text: { annotations: annotations.map((a, index) => ({ index, ...a })) } }])]
      : [];
    return [...annotated, messageEvent(incomplete ? 'incomplete' : 'completed', done.message), stepEvent('completed', done.step)];
  }
}
