import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The checkout's own files that are not compiled code — the migrations, the venvs
 * `npm install` makes, the sandbox's Python, the workflow sources the bundler reads — found
 * from the project's root (where package.json is), so they are the same whether this module
 * runs from src/ (tsx) or from dist/src/ (`npm run build`).
 */
export const PROJECT_ROOT = rootAbove(import.meta.dirname);

export function projectFile(...segments: string[]): string {
  return path.join(PROJECT_ROOT, ...segments);
}

function rootAbove(dir: string): string {
  for (let at = dir; ; at = path.dirname(at)) {
    if (existsSync(path.join(at, 'package.json'))) return at;
    if (path.dirname(at) === at) throw new Error(`no package.json above ${dir}`);
  }
}
