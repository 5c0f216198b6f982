import type { CompiledGraph } from './graph';
import { sizeOf, type Tensor } from './tensor';

/**
 * Class probabilities from the output node's values [N, K]: the values themselves when the network ends in
 * Softmax, else their softmax (a network trained with cross-entropy on raw scores), as the loss sees them.
 */
export function probabilitiesOf(graph: CompiledGraph, output: Tensor): Float32Array {
  const k = sizeOf(graph.outputShape);
  if (graph.byId.get(graph.outputId)!.def.type === 'softmax') return Float32Array.from(output.data);
  const p = new Float32Array(output.data.length);
  for (let row = 0; row < output.data.length; row += k) {
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, output.data[row + j]);
    let sum = 0;
    for (let j = 0; j < k; j++) sum += p[row + j] = Math.exp(output.data[row + j] - max);
    for (let j = 0; j < k; j++) p[row + j] /= sum;
  }
  return p;
}
