import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API key secrets as OpenAI's admin API issues them: a kind prefix and 48 random base64url
 * characters (288 bits). Only their sha256 is stored; a key this random needs no slow hash.
 */
export const KEY_PREFIX = { serviceAccount: 'sk-svcacct-', admin: 'sk-admin-' } as const;

export function newSecret(kind: keyof typeof KEY_PREFIX): string {
  return KEY_PREFIX[kind] + randomBytes(36).toString('base64url');
}

export const hashKey = (secret: string): string => createHash('sha256').update(secret).digest('hex');

/** Equal hashes, compared in constant time (a lookup by hash alone would leak timing on the secret's prefix). */
export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** `sk-svcacct-…abcd`: what the admin API lists for a key whose secret it no longer has. */
export const redactKey = (secret: string): string => `${secret.slice(0, secret.indexOf('-', 3) + 1)}...${secret.slice(-4)}`;
