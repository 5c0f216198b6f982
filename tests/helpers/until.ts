/**
 * Waits until `check` gives a value other than undefined, null or false, and returns it, looking again every few
 * milliseconds. For states that change on a timer or in another thread (autosave, a run ending). The limit only
 * catches a hang, and stays under vitest's own so that the message names what never came; a slow machine only
 * makes the wait longer.
 */
export async function until<T>(
  check: () => T | Promise<T>,
  what: string,
  limitMs = 150_000,
): Promise<Exclude<T, undefined | null | false>> {
  for (const start = Date.now(); Date.now() - start < limitMs; await new Promise((r) => setTimeout(r, 10))) {
    const value = await check();
    if (value !== undefined && value !== null && value !== false) return value as Exclude<T, undefined | null | false>;
  }
  throw new Error(`timed out after ${limitMs / 1000} s waiting for ${what}`);
}
