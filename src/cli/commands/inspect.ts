import { writeFile } from 'node:fs/promises';
import { tileChannels } from '../../engine/inspect';
import { encodePng } from '../../host/datasets';
import { loadTrainedModel, readImage } from '../../host/inference/model';
import { parse, required } from '../args';
import { CliError } from '../errors';
import type { Command } from './types';

export const inspect: Command = {
  name: 'inspect',
  usage: 'convas inspect <trained.convas> --image FILE --layer NODE_ID --out grid.png',
  summary: "A layer's feature maps for one image, as one picture (one tile per channel, one colour scale).",
  async run(args, io) {
    const { positionals, values } = parse(args, {
      image: { type: 'string' },
      layer: { type: 'string' },
      out: { type: 'string' },
    });
    if (positionals.length !== 1) throw new CliError('give exactly one trained .convas file');
    const model = await loadTrainedModel(positionals[0]);
    const layer = required('layer', values.layer);
    const node = model.network.graph.byId.get(layer);
    if (!node) {
      throw new CliError(
        `no node '${layer}' in ${positionals[0]}; its nodes are ${model.network.graph.nodes.map((n) => n.id).join(', ')}`,
      );
    }
    if (node.outShape.length !== 3) {
      throw new CliError(
        `node '${layer}' (${node.def.label}) gives a vector [${node.outShape.join('×')}], not feature maps; choose a convolution, pooling or activation node before Flatten`,
      );
    }
    const x = await readImage(required('image', values.image), model.input, model.network.graph.inputShape);
    const maps = model.network.activations(x, layer);
    const { image, min, max } = tileChannels(maps, { gap: 2 });
    const out = required('out', values.out);
    await writeFile(out, await encodePng(image));
    io.stderr(
      `wrote ${out}: ${node.outShape[0]} maps of ${node.outShape[1]}×${node.outShape[2]}, values ${min.toFixed(3)} (black) to ${max.toFixed(3)} (white)\n`,
    );
  },
};
