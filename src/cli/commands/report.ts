import { formatReport, inspectDataset, sampleDatasetPath } from '../../host/datasets';
import { parse } from '../args';
import type { Command } from './types';

export const report: Command = {
  name: 'report',
  usage: 'convas report [DIR] [--json]',
  summary: 'Prints the dataset report of an image folder (the built-in sample without DIR).',
  async run(args, io) {
    const { positionals, values } = parse(args, { json: { type: 'boolean' } });
    const root = positionals[0] ?? sampleDatasetPath();
    const { report } = await inspectDataset(root);
    io.stdout(values.json ? `${JSON.stringify(report)}\n` : `${formatReport(report)}\n`);
  },
};
