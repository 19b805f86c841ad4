/** Finding JSON inside what a model printed: prose, code fences and chatter around it are skipped. */

/** The first balanced `{...}` (or, with `arrays`, `[...]`) that parses. */
export function firstJsonValue(text: string, opts: { arrays?: boolean } = {}): unknown {
  const opener = opts.arrays ? /[[{]/g : /\{/g;
  for (const match of text.matchAll(opener)) {
    const end = balancedEnd(text, match.index);
    if (end === -1) continue;
    try {
      return JSON.parse(text.slice(match.index, end));
    } catch {
      // not JSON from this bracket; try the next one
    }
  }
  return undefined;
}

/**
 * The index just past the bracket that closes the one at `start` (`{` or `[`), skipping
 * brackets inside strings; -1 while it is still open.
 */
export function balancedEnd(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') depth++;
    else if ((ch === '}' || ch === ']') && --depth === 0) return i + 1;
  }
  return -1;
}

/** The parsed JSON, or the text itself when it is not JSON. */
export function parseOr(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
