import { compileGraph, type CompiledGraph } from '../../engine';
import type { Graph } from '../../shared/graph';

/** The graph compiled, or an error naming the node at fault, said as a reason training cannot start. */
export function compileForTraining(graph: Graph): CompiledGraph {
  try {
    return compileGraph(graph);
  } catch (e) {
    throw new Error(`the network cannot train: ${(e as Error).message}`);
  }
}
