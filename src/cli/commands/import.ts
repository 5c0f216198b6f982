import { importOnnxFile } from '../../host/export';
import { writeProjectFile } from '../../host/project/project-file';
import { parse, required } from '../args';
import { CliError } from '../errors';
import type { Command } from './types';

export const importCommand: Command = {
  name: 'import',
  usage: 'convas import <model.onnx> --out <project.convas>',
  summary: 'Opens an ONNX model (made by Convas or elsewhere, of the supported operators) as an editable project.',
  async run(args, io) {
    const { positionals, values } = parse(args, { out: { type: 'string' } });
    if (positionals.length !== 1) throw new CliError('give exactly one .onnx file');
    const out = required('out', values.out);
    const imported = await importOnnxFile(positionals[0]);
    for (const w of imported.warnings) io.stderr(`warning: ${w}\n`);
    const classes = imported.classes ? { classes: imported.classes } : {};
    await writeProjectFile(out, { graph: imported.graph, dataset: null, history: [], ...classes }, imported.weights);
    io.stderr(
      `wrote ${out}: ${imported.graph.nodes.length} nodes, ${Object.keys(imported.weights).length} weight tensors` +
        `${imported.classes ? `, ${imported.classes.length} class names` : ''}\n`,
    );
  },
};
