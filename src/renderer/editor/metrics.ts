import { getLayer, resolveParams, sizeOf, type Shape } from '../../engine';
import type { Graph } from '../../shared/graph';
import type { LiveAnalysis } from './live-analysis';

/** What the canvas shows beside one node. */
export interface NodeMetrics {
  /** The output shape per example, or null when it cannot be worked out (see `error`). */
  shape: Shape | null;
  /** The engine's message for this node, naming it, or null. */
  error: string | null;
  /** Something to know about a valid node (rows its window leaves unread), or null: shown, never blocking. */
  notice: string | null;
  /** Trainable numbers (weights and biases). */
  params: number;
  /** Multiply-accumulates per example, for layers that define them (convolution, dense); 0 for the rest. */
  macs: number;
}

/** The status bar's figures and every node's own. */
export interface GraphMetrics {
  nodes: Map<string, NodeMetrics>;
  totalParams: number;
  totalMacs: number;
  /**
   * Numbers held as activations for one example: every node's output, the input layer's included.
   * It counts the forward pass only; training also keeps gradients of about the same size, and convolution
   * scratch space (im2col) is not counted.
   */
  activationsPerExample: number;
  /** The engine's whole-graph problems, and the number of nodes in error as the canvas shows them. */
  problems: readonly string[];
  errorCount: number;
  /** True when the engine could compile the graph: it can be trained. */
  valid: boolean;
}

/** Bytes of activations for a batch, at 4 bytes (float32) per number. */
export function activationBytes(m: GraphMetrics, batch: number): number {
  return m.activationsPerExample * 4 * batch;
}

/**
 * Works out parameter counts and MACs from the layers' own `weights()` and `macs()` for every node whose
 * shape the engine's analysis found, even when other parts of the graph are still broken.
 */
export function graphMetrics(graph: Graph, analysis: LiveAnalysis): GraphMetrics {
  const inputs = new Map<string, string[]>();
  for (const e of [...graph.edges].sort((a, b) => a.to.port - b.to.port)) {
    inputs.set(e.to.node, [...(inputs.get(e.to.node) ?? []), e.from.node]);
  }
  const nodes = new Map<string, NodeMetrics>();
  let totalParams = 0;
  let totalMacs = 0;
  let activationsPerExample = 0;
  for (const n of graph.nodes) {
    const shape = analysis.shapes.get(n.id) ?? null;
    const m: NodeMetrics = {
      shape,
      error: analysis.errors.get(n.id) ?? null,
      notice: analysis.full.notices.get(n.id) ?? null,
      params: 0,
      macs: 0,
    };
    const def = getLayer(n.type);
    const inShapes = (inputs.get(n.id) ?? []).map((i) => analysis.shapes.get(i));
    if (shape && def && inShapes.every((s) => s !== undefined)) {
      // The analysis already resolved these params successfully, since the node has a shape.
      const params = resolveParams(def, n.params);
      for (const w of def.weights?.(inShapes, params) ?? []) if (w.trainable) m.params += sizeOf(w.shape);
      m.macs = def.macs?.(inShapes, shape, params) ?? 0;
      activationsPerExample += sizeOf(shape);
    }
    totalParams += m.params;
    totalMacs += m.macs;
    nodes.set(n.id, m);
  }
  return {
    nodes,
    totalParams,
    totalMacs,
    activationsPerExample,
    problems: analysis.full.problems,
    errorCount: analysis.errors.size,
    valid: analysis.full.compiled !== null,
  };
}
