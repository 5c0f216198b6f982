/** A mistake the user can fix (bad arguments, a missing file, a graph that does not compile): one line, exit code 2. */
export class CliError extends Error {
  override name = 'CliError';
}

/** Exit codes: 0 done, 1 an unexpected failure (a bug: the stack is printed with --verbose), 2 a usage or input error. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;
