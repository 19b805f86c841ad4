/**
 * A workflow started while its caller's transaction writes the rows it will read (a run, a
 * response): the caller holds the row's lock from before the start (src/db/run-lock.ts), so
 * the workflow reads them once committed. Both settle before the transaction may end — nothing
 * can touch it after its callback returns; if Temporal refuses, the write is rolled back, and
 * if the write fails, the workflow finds no row and ends. Returns what `write` returned.
 */
export async function startedWithWrite<T>(write: Promise<T>, start: Promise<unknown>): Promise<T> {
  const [written, started] = await Promise.allSettled([write, start]);
  if (written.status === 'rejected') throw written.reason;
  if (started.status === 'rejected') throw started.reason;
  return written.value;
}
