import type { CompiledGraph } from './graph';

/**
 * Which nodes a training step runs together with the ReLU after them: node → that ReLU's id. A node qualifies
 * when its layer offers `withRelu` (batch norm and convolution do) and a ReLU is the only reader of its output,
 * so nothing but the ReLU ever needs the output in between. Fused, the pair is one kernel call each way instead
 * of two: the WebAssembly kernels then copy the activation out of their memory and back in once less per pass
 * (batch norm and ReLU at 28×28 were a sixth of a fashion-3conv step, mostly copying; LeNet-5's two ReLUs after
 * its convolutions a tenth of its step).
 *
 * Only training passes fuse: inference traces keep every node's output for the inspector and the exports.
 */
export function reluFusions(graph: CompiledGraph): Map<string, string> {
  const readers = new Map<string, string[]>();
  for (const node of graph.nodes) {
    for (const i of node.inputs) readers.set(i, [...(readers.get(i) ?? []), node.id]);
  }
  const fusions = new Map<string, string>();
  for (const node of graph.nodes) {
    const after = readers.get(node.id) ?? [];
    if (!node.def.withRelu || after.length !== 1) continue;
    const next = graph.byId.get(after[0])!;
    if (next.def.type === 'relu' && next.inputs.length === 1) fusions.set(node.id, next.id);
  }
  return fusions;
}
