import type { Graph } from '../shared/graph';
import { compileGraph, type CompiledGraph, type CompiledNode } from './graph';
import { initWeight } from './init';
import { Rng } from './rng';
import { sameShape, sizeOf, sliceBatch, tensor, type Tensor } from './tensor';

/** One weight tensor with its gradient buffer, named `${nodeId}.${weightName}`. */
export interface Parameter {
  name: string;
  nodeId: string;
  value: Tensor;
  grad: Tensor;
  trainable: boolean;
}

/** What a forward pass keeps for backward: every node's output and its layer's cache. */
export interface Trace {
  training: boolean;
  outputs: Map<string, Tensor>;
  caches: Map<string, unknown>;
}

export type NamedWeights = Record<string, Tensor>;

/**
 * A compiled graph with its weights. Forward walks the nodes in topological order; backward walks
 * them in reverse, summing the gradients of nodes whose output feeds several others (micrograd's rule).
 */
export class Network {
  readonly graph: CompiledGraph;
  readonly params: Parameter[] = [];
  private readonly byNode = new Map<string, Parameter[]>();

  constructor(graph: CompiledGraph | Graph, seed = 1) {
    this.graph = 'byId' in graph ? graph : compileGraph(graph);
    const rng = new Rng(seed);
    for (const node of this.graph.nodes) {
      const ps = node.weightSpecs.map((spec) => ({
        name: `${node.id}.${spec.name}`,
        nodeId: node.id,
        value: initWeight(spec, rng),
        grad: tensor(spec.shape),
        trainable: spec.trainable,
      }));
      this.byNode.set(node.id, ps);
      this.params.push(...ps);
    }
  }

  node(id: string): CompiledNode {
    const n = this.graph.byId.get(id);
    if (!n) throw new Error(`no node '${id}' in this network`);
    return n;
  }

  /** Runs the batch x ([N, ...inputShape]) through the network. `until` stops early at that node. */
  forward(x: Tensor, options: { training?: boolean; rng?: Rng; until?: string } = {}): Trace {
    const training = options.training ?? false;
    const rng = options.rng ?? new Rng(0);
    const outputs = new Map<string, Tensor>();
    const caches = new Map<string, unknown>();
    for (const node of this.graph.nodes) {
      const inputs = node.id === this.graph.inputId ? [x] : node.inputs.map((i) => outputs.get(i)!);
      const weights = this.byNode.get(node.id)!.map((p) => p.value);
      const r = node.def.forward({ params: node.params, inputs, weights, training, rng });
      outputs.set(node.id, r.output);
      caches.set(node.id, r.cache);
      if (node.id === options.until) break;
    }
    return { training, outputs, caches };
  }

  /** The network's output for a forward trace. */
  output(trace: Trace): Tensor {
    return trace.outputs.get(this.graph.outputId)!;
  }

  zeroGrads(): void {
    for (const p of this.params) p.grad.data.fill(0);
  }

  /**
   * Back-propagates `grad` (dLoss/d output of node `from`, default the network's output) and ADDS the
   * weight gradients into each parameter's grad. Returns dLoss/dInput.
   */
  backward(trace: Trace, grad: Tensor, from = this.graph.outputId): Tensor | null {
    const grads = new Map<string, Tensor>();
    // Gradients a node received as-is from a layer may be shared (Add passes one tensor to all inputs),
    // so the first contribution is kept by reference and copied only when a second must be added.
    const owned = new Set<string>();
    const accumulate = (id: string, g: Tensor) => {
      const prev = grads.get(id);
      if (!prev) {
        grads.set(id, g);
        return;
      }
      const sum = owned.has(id) ? prev : tensor(prev.shape, prev.data.slice());
      for (let i = 0; i < g.data.length; i++) sum.data[i] += g.data[i];
      grads.set(id, sum);
      owned.add(id);
    };
    accumulate(from, grad);
    const nodes = this.graph.nodes;
    for (let k = nodes.length - 1; k >= 0; k--) {
      const node = nodes[k];
      const gradOutput = grads.get(node.id);
      if (!gradOutput) continue; // after `from`, or on a branch the loss does not depend on
      if (node.id === this.graph.inputId) return gradOutput;
      const inputs = node.inputs.map((i) => trace.outputs.get(i)!);
      const ps = this.byNode.get(node.id)!;
      const inputGrads = node.def.backward({
        params: node.params,
        inputs,
        weights: ps.map((p) => p.value),
        weightGrads: ps.map((p) => p.grad),
        training: trace.training,
        rng: new Rng(0),
        output: trace.outputs.get(node.id)!,
        cache: trace.caches.get(node.id),
        gradOutput,
      });
      inputGrads.forEach((g, i) => {
        if (g) accumulate(node.inputs[i], g);
      });
    }
    return null;
  }

  /** Inference over any number of examples, in batches; returns the output node's values for all of them. */
  predict(x: Tensor, batchSize = 64): Tensor {
    return this.runBatched(x, batchSize, this.graph.outputId);
  }

  /** The outputs of node `nodeId` for inputs x (feature maps for a conv node). */
  activations(x: Tensor, nodeId: string, batchSize = 64): Tensor {
    this.node(nodeId);
    return this.runBatched(x, batchSize, nodeId);
  }

  private runBatched(x: Tensor, batchSize: number, nodeId: string): Tensor {
    const n = x.shape[0];
    const shape = this.node(nodeId).outShape;
    const per = sizeOf(shape);
    const out = tensor([n, ...shape]);
    for (let s = 0; s < n; s += batchSize) {
      const e = Math.min(n, s + batchSize);
      const y = this.forward(sliceBatch(x, s, e), { until: nodeId }).outputs.get(nodeId)!;
      out.data.set(y.data, s * per);
    }
    return out;
  }

  /** All weights by name (copies), for saving and exporting. */
  getWeights(): NamedWeights {
    const out: NamedWeights = {};
    for (const p of this.params) out[p.name] = tensor(p.value.shape, p.value.data.slice());
    return out;
  }

  /** Loads weights by name; every weight of the network must be present with its exact shape. */
  setWeights(w: NamedWeights): void {
    for (const p of this.params) {
      const t = w[p.name];
      if (!t) throw new Error(`weights are missing '${p.name}'`);
      if (!sameShape(t.shape, p.value.shape)) {
        throw new Error(
          `weight '${p.name}' has shape [${t.shape.join('×')}], the network needs [${p.value.shape.join('×')}]`,
        );
      }
      p.value.data.set(t.data);
    }
  }

  parameterCount(trainableOnly = true): number {
    return this.params.filter((p) => p.trainable || !trainableOnly).reduce((a, p) => a + p.value.data.length, 0);
  }
}
