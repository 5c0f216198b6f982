import { terminalSafe } from './terminal';

/** Where a command writes: results to stdout, progress and errors to stderr. Tests pass their own. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Whether stderr is a terminal (a redrawn progress bar) or a file/pipe (one line per epoch). */
  isTTY: boolean;
}

export function processIo(): CliIo {
  return {
    // Names from the user's folders never reach the terminal raw (see terminalSafe).
    stdout: (t) => process.stdout.write(terminalSafe(t)),
    stderr: (t) => process.stderr.write(terminalSafe(t)),
    isTTY: Boolean(process.stderr.isTTY),
  };
}
