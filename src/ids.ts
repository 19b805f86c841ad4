import { randomBytes } from 'node:crypto';

/** Id prefixes as OpenAI spells them (note the hyphen in `file-`). */
export const ID_PREFIX = {
  assistant: 'asst_',
  thread: 'thread_',
  message: 'msg_',
  run: 'run_',
  step: 'step_',
  toolCall: 'call_',
  file: 'file-',
  vectorStore: 'vs_',
  fileBatch: 'vsfb_',
  response: 'resp_',
  functionCall: 'fc_',
  fileSearchCall: 'fs_',
  codeInterpreterCall: 'ci_',
  project: 'proj_',
  serviceAccount: 'svc_acct_',
  apiKey: 'key_',
} as const;

export type IdKind = keyof typeof ID_PREFIX;

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const ORDER_CHARS = 11;
let lastOrder = 0;

/**
 * 24 characters after the prefix, like OpenAI's ids, but sortable: the first 11 are a
 * monotonic, zero-padded base36 count of (milliseconds × 1024 + sequence), lowercase digits
 * and letters only so that every Postgres collation sorts them like the numbers they encode.
 * Lists order by id, so a cursor needs no lookup and still works after its object is deleted.
 */
export function newId(kind: IdKind): string {
  lastOrder = Math.max(lastOrder + 1, Date.now() * 1024);
  return ID_PREFIX[kind] + lastOrder.toString(36).padStart(ORDER_CHARS, '0') + randomTail(24 - ORDER_CHARS);
}

/** The least id of `kind` made at or after `unixSeconds`: a time range of rows as a range of their ids. */
export function firstIdAt(kind: IdKind, unixSeconds: number): string {
  return ID_PREFIX[kind] + (Math.max(0, unixSeconds) * 1000 * 1024).toString(36).padStart(ORDER_CHARS, '0');
}

/** Random base62; rejection sampling keeps the alphabet uniform. */
function randomTail(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) if (byte < 248 && out.length < length) out += BASE62[byte % 62];
  }
  return out;
}

/**
 * A conversation is a thread (README "Responses and Conversations"): `conv_X` names the thread
 * `thread_X`, so each API shows its own prefix and both take either.
 */
export const conversationIdOf = (threadId: string) => `conv_${threadId.slice(ID_PREFIX.thread.length)}`;
export const threadIdOf = (conversationId: string) =>
  conversationId.startsWith('conv_') ? ID_PREFIX.thread + conversationId.slice('conv_'.length) : conversationId;
