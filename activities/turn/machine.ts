import type { Usage } from '../../src/db/records.js';
import { newId } from '../../src/ids.js';
import type { ChatEvent } from '../../src/llm/index.js';
import type { RunOutcome } from '../../src/run-status.js';
import type { ModelCall } from '../tools/registry.js';
import type { TurnResult } from '../types.js';

/**
 * The writes one model turn makes, as one API shows them (rows and stream events). The
 * Assistants API's is ./assistants-projector.ts; a second API drives the same machine
 * with its own.
 */
export interface TurnProjector<R = TurnResult> {
  /** The answer's first text: opens what holds it. */
  openText(first: string): Promise<void>;
  appendText(fragment: string): Promise<void>;
  /** Text the model wrote before its tool calls: a finished message of its own. */
  closeTextBeforeTools(text: string): Promise<void>;
  openToolCall(index: number, call: ModelCall): Promise<void>;
  appendToolArguments(index: number, call: ModelCall, fragment: string): Promise<void>;
  /** The model call failed mid-answer: what was streamed stays, for the run's end to close. */
  keepPartial(text: string): Promise<void>;
  endWithToolCalls(calls: ModelCall[], usage: Usage): Promise<R>;
  /** An answer in text (maybe empty) ends the run as `outcome`. */
  endWithText(text: string, usage: Usage, outcome: RunOutcome): Promise<R>;
}

/**
 * One model turn's state: the stream of chat events in, the projector's writes out, in the
 * order OpenAI streams them — text, then any tool calls, each call opened once and its
 * arguments appended.
 */
export class TurnMachine<R = TurnResult> {
  #text = '';
  #textOpen = false;
  #toolsOpen = false;
  readonly #calls: ModelCall[] = [];
  #finish?: Extract<ChatEvent, { type: 'finish' }>;

  constructor(private readonly projector: TurnProjector<R>) {}

  async apply(ev: ChatEvent): Promise<void> {
    if (ev.type === 'finish') this.#finish = ev;
    else if (ev.type === 'text') await this.#onText(ev.delta);
    else await this.#onToolCall(ev.index, ev.id, ev.name, ev.argumentsDelta);
  }

  async #onText(fragment: string): Promise<void> {
    if (!fragment) return;
    this.#text += fragment;
    if (this.#textOpen) return this.projector.appendText(fragment);
    this.#textOpen = true;
    await this.projector.openText(fragment);
  }

  async #onToolCall(index: number, id: string | undefined, name: string | undefined, fragment: string | undefined): Promise<void> {
    if (!this.#toolsOpen) {
      this.#toolsOpen = true;
      if (this.#text) await this.projector.closeTextBeforeTools(this.#text);
    }
    const call = this.#calls[index];
    if (!call) {
      const opened = { id: id ?? newId('toolCall'), name: name ?? '', arguments: fragment ?? '' };
      this.#calls[index] = opened;
      return this.projector.openToolCall(index, opened);
    }
    if (!fragment) return;
    call.arguments += fragment;
    await this.projector.appendToolArguments(index, call, fragment);
  }

  keepPartial(): Promise<void> {
    return this.projector.keepPartial(this.#text);
  }

  /** Whether the stream ended as it should, with its finish event. */
  get finished(): boolean {
    return this.#finish !== undefined;
  }

  /**
   * Ends the turn once the stream is over. `completionCap`: the run set `max_completion_tokens`,
   * so a `length` finish means that cap was hit and the run is `incomplete`.
   */
  end(completionCap: boolean): Promise<R> {
    const finish = this.#finish!;
    const usage: Usage = {
      prompt_tokens: finish.usage.promptTokens,
      completion_tokens: finish.usage.completionTokens,
      total_tokens: finish.usage.promptTokens + finish.usage.completionTokens,
    };
    const calls = this.#calls.filter(Boolean);
    if (calls.length) return this.projector.endWithToolCalls(calls, usage);
    const capped = finish.reason === 'length' && completionCap;
    return this.projector.endWithText(this.#text, usage, capped ? { status: 'incomplete', reason: 'max_completion_tokens' } : { status: 'completed' });
  }
}
