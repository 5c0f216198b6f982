import { probabilitiesOf } from '../../engine';
import { loadTrainedModel, readImage } from '../../host/inference/model';
import { parse } from '../args';
import { CliError } from '../errors';
import type { Command } from './types';

export const predict: Command = {
  name: 'predict',
  usage: 'convas predict <trained.convas> <image>... [--top K] [--json]',
  summary: 'The most likely classes of each image, with their probabilities.',
  async run(args, io) {
    const { positionals, values } = parse(args, { top: { type: 'string' }, json: { type: 'boolean' } });
    if (positionals.length < 2) throw new CliError('give a trained .convas file and at least one image');
    const [file, ...images] = positionals;
    const model = await loadTrainedModel(file);
    const top = Math.min(model.classes.length, Math.max(1, Number(values.top ?? 3) | 0));
    const results = [];
    for (const image of images) {
      const x = await readImage(image, model.input, model.network.graph.inputShape);
      const p = probabilitiesOf(model.network.graph, model.network.predict(x));
      const ranked = Array.from(p, (v, i) => ({ class: model.classes[i], probability: v })).sort(
        (a, b) => b.probability - a.probability,
      );
      results.push({ image, predictions: ranked.slice(0, top) });
    }
    if (values.json) {
      io.stdout(`${JSON.stringify(results)}\n`);
      return;
    }
    for (const r of results) {
      io.stdout(
        `${r.image}\n${r.predictions.map((p) => `  ${(p.probability * 100).toFixed(1).padStart(5)}%  ${p.class}`).join('\n')}\n`,
      );
    }
  },
};
