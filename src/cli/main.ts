import { totalmem } from 'node:os';
import { setMemoryLimit } from '../engine';
import { evalCommand } from './commands/evaluate';
import { exportCommand } from './commands/export';
import { importCommand } from './commands/import';
import { inspect } from './commands/inspect';
import { predict } from './commands/predict';
import { report } from './commands/report';
import { train } from './commands/train';
import type { Command } from './commands/types';
import { CliError, EXIT } from './errors';
import { processIo, type CliIo } from './io';

/** Every `convas` command, in the order `convas --help` lists them. */
const commands: Command[] = [train, evalCommand, predict, inspect, report, exportCommand, importCommand];

function help(): string {
  const width = Math.max(...commands.map((c) => c.usage.length));
  return [
    'convas: train convolutional networks on folders of images',
    '',
    ...commands.map((c) => `  ${c.usage.padEnd(width)}  ${c.summary}`),
    '',
    'convas <command> --help describes a command and its options.',
    'Add --verbose to any command to see the full error on failure.',
  ].join('\n');
}

/**
 * Runs one command and returns the exit code. A mistake the user can fix (bad arguments, a missing file, a bad
 * graph or dataset) is one line on stderr and exit code 2; anything else is a bug, shown in full with --verbose.
 */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  // Graphs are held to the machine's memory before anything is allocated (engine/memory.ts).
  setMemoryLimit(totalmem());
  const [name, ...args] = argv;
  const verbose = args.includes('--verbose');
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(`${help()}\n`);
    return name ? EXIT.ok : EXIT.usage;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.stderr(`convas: unknown command '${name}'; try convas --help\n`);
    return EXIT.usage;
  }
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout(`usage: ${command.usage}\n\n${command.summary}\n${command.help ? `\n${command.help}\n` : ''}`);
    return EXIT.ok;
  }
  try {
    await command.run(args, io);
    return EXIT.ok;
  } catch (e) {
    const err = e as Error & { code?: string; path?: string };
    // Errors our own services throw on bad input carry a message meant for the user.
    const userFacing =
      e instanceof CliError ||
      [
        'DatasetError',
        'GraphError',
        'SchemaError',
        'ProjectFileError',
        'ModelError',
        'FormatError',
        'SafetensorsError',
        'ExportWriteError',
        'ShapeError',
        'DatasetMismatchError',
        'CheckpointError',
        'MemoryError',
        'UntrustedFileError',
        'UntrustedJsonError',
      ].includes(err.name) ||
      err.code === 'ENOENT' ||
      err.code === 'EACCES' ||
      err.code === 'EISDIR';
    const message =
      err.code === 'ENOENT' && err.path ? `no such file or folder: ${err.path}` : err.message.split('\n').join(' ');
    io.stderr(`convas ${name}: ${message}\n`);
    if (verbose && err.stack) io.stderr(`${err.stack}\n`);
    return userFacing ? EXIT.usage : EXIT.failure;
  }
}
