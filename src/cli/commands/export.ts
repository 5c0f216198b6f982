import { basename } from 'node:path';
import { listFormats } from '../../engine/formats/registry';
import { exportToPath } from '../../host/export';
import { readProjectFile } from '../../host/project/project-file';
import { parse, required } from '../args';
import { CliError } from '../errors';
import type { Command } from './types';

export const exportCommand: Command = {
  name: 'export',
  usage: `convas export <trained.convas> --format ${listFormats()
    .map((f) => f.id)
    .join('|')} --out PATH`,
  summary: 'Writes the trained network in a format other tools read (a failed export leaves any earlier file intact).',
  async run(args, io) {
    const { positionals, values } = parse(args, { format: { type: 'string' }, out: { type: 'string' } });
    if (positionals.length !== 1) throw new CliError('give exactly one trained .convas file');
    const format = required('format', values.format);
    const ids = listFormats().map((f) => f.id);
    if (!ids.includes(format)) throw new CliError(`--format must be one of ${ids.join(', ')}, got '${format}'`);
    const loaded = await readProjectFile(positionals[0]);
    if (Object.keys(loaded.weights).length === 0)
      throw new CliError(`${positionals[0]} holds no trained weights; train it first`);
    const name = basename(positionals[0]).replace(/\.convas$/, '') || 'model';
    // The class names travel in the files' metadata (docs/formats.md), when the project knows them.
    const classes = loaded.file.dataset?.classes ?? loaded.file.classes;
    const written = await exportToPath(format, loaded.file.graph, loaded.weights, required('out', values.out), {
      name,
      ...(classes ? { classes } : {}),
    });
    io.stderr(`wrote ${written.join(', ')}\n`);
  },
};
