import { evaluate, reshape } from '../../engine';
import { loadSplit, scanDataset } from '../../host/datasets';
import { loadTrainedModel } from '../../host/inference/model';
import { parse, required } from '../args';
import { CliError } from '../errors';
import type { Command } from './types';

export const evalCommand: Command = {
  name: 'eval',
  usage: 'convas eval <trained.convas> --data DIR [--json]',
  summary:
    'Accuracy, loss, per-class accuracy and the confusion matrix on an image folder (its test/ split if it has one).',
  async run(args, io) {
    const { positionals, values } = parse(args, { data: { type: 'string' }, json: { type: 'boolean' } });
    if (positionals.length !== 1) throw new CliError('give exactly one trained .convas file');
    const model = await loadTrainedModel(positionals[0]);
    const index = await scanDataset(required('data', values.data));
    // A folder with splits is evaluated on its test split (else validation); a plain class folder as a whole.
    const split = index.layout === 'splits' ? (index.splits.test.length > 0 ? 'test' : 'validation') : 'train';
    if (!model.classesRecorded && index.classes.length === model.classes.length) {
      // An imported model does not know its class names: labels follow the folder's sorted classes, as in training.
      io.stderr(`note: ${model.path} records no class names; assuming the folder's classes in sorted order\n`);
      model.classes.splice(0, model.classes.length, ...index.classes);
    }
    const unknown = index.classes.filter((c) => !model.classes.includes(c));
    if (unknown.length > 0) {
      throw new CliError(
        `the folder has classes the model was not trained on: ${unknown.join(', ')} (it knows ${model.classes.join(', ')})`,
      );
    }
    const batch = await loadSplit(index, split, model.input);
    if (batch.labels.length === 0) throw new CliError(`no images in the ${split} split of ${index.root}`);
    // Folder labels follow the folder's own sorted classes; map them onto the model's label order by name.
    const labels = batch.labels.map((l) => model.classes.indexOf(index.classes[l]));
    const x = reshape(batch.x, [batch.x.shape[0], ...model.network.graph.inputShape]);
    const result = evaluate(model.network, { x, labels });
    const perClass: Record<string, number> = {};
    model.classes.forEach((name, c) => {
      const row = result.confusion[c];
      const total = row.reduce((a, b) => a + b, 0);
      if (total > 0) perClass[name] = row[c] / total;
    });
    if (values.json) {
      io.stdout(
        `${JSON.stringify({ accuracy: result.accuracy, loss: result.loss, per_class: perClass, confusion: result.confusion })}\n`,
      );
      return;
    }
    const width = Math.max(...model.classes.map((c) => c.length));
    const lines = [
      `${model.path} on ${labels.length} images (${index.layout === 'splits' ? `the ${split} split of ` : ''}${index.root})`,
      `accuracy ${(result.accuracy * 100).toFixed(2)}%   loss ${result.loss.toFixed(4)}`,
      '',
      ...Object.entries(perClass).map(([name, acc]) => `  ${name.padEnd(width)}  ${(acc * 100).toFixed(1)}%`),
      '',
      'confusion (rows: actual, columns: predicted)',
      ...result.confusion.map(
        (row, c) => `  ${model.classes[c].padEnd(width)} ${row.map((v) => String(v).padStart(5)).join('')}`,
      ),
    ];
    io.stdout(`${lines.join('\n')}\n`);
  },
};
