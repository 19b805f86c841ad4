/** Errors whose message is the whole story (a missing setting, a port in use): no stack trace. */
export class StartupError extends Error {}
