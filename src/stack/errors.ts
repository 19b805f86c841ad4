import { StartupError } from '../startup-error.js';

/**
 * The local stack could not start. The message is one line that names the fix (a port to
 * change, a binary to install, an external service to point at), so it is printed without
 * a stack trace.
 */
export class StackError extends StartupError {
  override name = 'StackError';
}
