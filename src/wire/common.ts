import type { AssistantResponseFormatOption } from 'openai/resources/beta/threads/threads';
import type { Metadata } from 'openai/resources/shared';
import type { Prisma } from '../db/client.js';

/** `metadata` is always an object on the wire, `{}` when empty. */
export const metadataOf = (v: Prisma.JsonValue): Metadata => (v ?? {}) as Metadata;

export const responseFormatOf = (v: Prisma.JsonValue | null): AssistantResponseFormatOption =>
  (v ?? 'auto') as AssistantResponseFormatOption;
