/**
 * What services and data access throw when a request cannot be served: transport-free, so
 * they know nothing of HTTP. src/http/errors.ts maps each to OpenAI's error JSON and status.
 */

/**
 * `No assistant found with id 'asst_x'.` — the wording OpenAI clients log. The Files API words
 * it its own way (`No such File object: file-x`, param `id`), hence the overrides.
 */
export class NotFoundError extends Error {
  constructor(
    readonly resource: string,
    readonly id: string,
    message = `No ${resource} found with id '${id}'.`,
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

/** A request that is malformed or refers to something it may not; `param` names the field. */
export class InvalidInputError extends Error {
  constructor(
    message: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
  }
}

/** A request the resource's current state refuses (an active run, a run's status). */
export class ConflictError extends Error {}

/** A dependency the request needs did not answer in time; nothing was changed, a retry may succeed. */
export class UnavailableError extends Error {}

/** An upload over its size limit (MAX_FILE_BYTES); `param` names the field. */
export class TooLargeError extends Error {
  constructor(
    message: string,
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

/** The project is at one of its limits (src/limits/); a retry later may succeed. */
export class LimitExceededError extends Error {}
