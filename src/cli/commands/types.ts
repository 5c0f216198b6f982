import type { CliIo } from '../io';

/** One `convas <name>` command: its usage line and what it does. */
export interface Command {
  name: string;
  usage: string;
  summary: string;
  /** What `convas <name> --help` adds below the usage and summary: the options, one a line. */
  help?: string;
  run(args: string[], io: CliIo): Promise<void>;
}
