import { existsSync } from 'node:fs';
import { localModelPath } from './local.js';
import { normaliseBaseUrl } from './openai-compatible.js';
import type { LlmConfig } from './index.js';

/**
 * Whether the default model route (MODEL_URL) can be reached, for readiness: an HTTP server
 * that answers anything at all (a 404 for `/models` included) is there; an in-process model is
 * there if its GGUF file is. Throws, with the URL, when it is not.
 */
export async function probeModelServer(cfg: Pick<LlmConfig, 'modelUrl'>, timeoutMs: number): Promise<void> {
  const path = localModelPath(cfg.modelUrl);
  if (path !== undefined) {
    if (!existsSync(path)) throw new Error(`model file ${path} does not exist (MODEL_URL)`);
    return;
  }
  const url = `${normaliseBaseUrl(cfg.modelUrl)}/models`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
  } catch (err) {
    throw new Error(`model server at ${url} is not reachable (MODEL_URL): ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`);
  }
}
