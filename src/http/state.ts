import type { Logger } from '../log.js';
import type { Deps } from '../services/deps.js';
import type { Principal } from '../tenancy/authenticator.js';

/** What the middleware of src/http/app.ts leaves on every request's `ctx.state`. */
declare module 'koa' {
  interface DefaultState {
    /** Carries the request id (and, where a handler adds it, the run's or response's). */
    log: Logger;
    /** performance.now() when the request arrived. */
    started: number;
    /** Set by auth on every API request (not on /health, /metrics or /organization). */
    principal: Principal;
    /** The services' dependencies, scoped to the principal's project. */
    deps: Deps;
  }
}
