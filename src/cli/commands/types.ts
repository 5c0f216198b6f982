import type { CliIo } from '../io';

/** One `convas <name>` command: its usage line and what it does. */
export interface Command {
  name: string;
  usage: string;
  summary: string;
  run(args: string[], io: CliIo): Promise<void>;
}
