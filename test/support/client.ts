import OpenAI, { APIError } from 'openai';
import { expect, inject } from 'vitest';
import { connectScriptedLlm } from './scripted-llm-client.js';

/** The official SDK pointed at our server, as a user would (the seed's baseURL, no `/v1`). */
export function client(baseURL = inject('apiUrl'), apiKey = 'EMPTY'): OpenAI {
  return new OpenAI({ baseURL, apiKey, maxRetries: 0 });
}

/** The scripted model server, scripted from this test process. */
export const llm = () => connectScriptedLlm(inject('llmUrl'));

let n = 0;
/** A model name of this test's own, so concurrent tests never take each other's scripted replies. */
export const uniqueModel = (label = 'model') => `${label}-${process.pid}-${Date.now()}-${n++}`;

/** The error the SDK threw, for asserting on its wire shape. */
export async function failure(p: Promise<unknown>): Promise<APIError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(APIError);
  return err as APIError;
}

/** A GET as raw JSON, to see exactly what went over the wire. */
export async function getJson(path: string, base = inject('apiUrl')): Promise<unknown> {
  const res = await fetch(base + path, { headers: { authorization: 'Bearer EMPTY' } });
  return res.json();
}
