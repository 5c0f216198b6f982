import type { Graph } from '../shared/graph';
import { reluFusions } from './fusion';
import { compileGraph, type CompiledGraph, type CompiledNode } from './graph';
import { initWeight } from './init';
import { checkMemory } from './memory';
import { Rng } from './rng';
import { sameShape, sizeOf, sliceBatch, tensor, type Shape, type Tensor } from './tensor';

/** One weight tensor with its gradient buffer, named `${nodeId}.${weightName}`. */
export interface Parameter {
  name: string;
  nodeId: string;
  value: Tensor;
  grad: Tensor;
  trainable: boolean;
}

/**
 * What a forward pass keeps for backward: every node's output and its layer's cache. A training pass that fused a
 * node with the ReLU after it (fusion.ts) lists the pair in `fused`; that node then has no output of its own.
 */
export interface Trace {
  training: boolean;
  outputs: Map<string, Tensor>;
  caches: Map<string, unknown>;
  fused?: Map<string, string>;
}

export type NamedWeights = Record<string, Tensor>;

/**
 * Recycles the tensors a forward and backward pass allocate (layer outputs, input gradients) for the next
 * pass, so that a warm training step allocates almost nothing: fresh large arrays cost page faults, and
 * freeing them stalls every thread of the process. A step asks for the same shapes in the same order every
 * time, so request k of a pass reuses buffer k (grown when too small). Tensors it handed out are valid
 * until the next reset, i.e. the network's next forward pass.
 */
export class Workspace {
  private readonly buffers: Float32Array[] = [];
  private next = 0;

  /** Makes every buffer available again. */
  reset(): void {
    this.next = 0;
  }

  /** A zero-filled tensor, or with `zeroed` false one holding whatever it last held (ForwardArgs.alloc). */
  readonly alloc = (shape: Shape, zeroed = true): Tensor => {
    const n = sizeOf(shape);
    let buf = this.buffers[this.next];
    if (!buf || buf.length < n) {
      buf = new Float32Array(n);
      this.buffers[this.next] = buf;
    } else {
      if (buf.length > n) buf = buf.subarray(0, n);
      if (zeroed) buf.fill(0);
    }
    this.next++;
    return tensor(shape, buf);
  };
}

/** Where one parameter sits in a flat store (see parameterLayout). */
export interface ParameterSlot {
  name: string;
  nodeId: string;
  shape: Shape;
  trainable: boolean;
  /** First element in the flat array. */
  offset: number;
  size: number;
}

/** Every parameter of a compiled graph laid end to end, in the order of `Network.params`. */
export interface ParameterLayout {
  slots: ParameterSlot[];
  /** Elements in the whole store. */
  total: number;
}

/**
 * Optional flat storage for a network's parameters: `values` and `grads` each hold `layout.total` elements,
 * parameter k at `layout.slots[k].offset`. It lets the weights live in one SharedArrayBuffer that several
 * training workers read at once, and lets a gradient reduction run over one contiguous array.
 */
export interface FlatParameters {
  values: Float32Array;
  grads: Float32Array;
  /**
   * Write the seeded initial values into `values` (default true). False when the store already holds
   * weights, for instance because another replica sharing it initialised them.
   */
  initialise?: boolean;
}

/** The flat layout of a graph's parameters: what a FlatParameters store must hold. */
export function parameterLayout(graph: CompiledGraph): ParameterLayout {
  const slots: ParameterSlot[] = [];
  let offset = 0;
  for (const node of graph.nodes) {
    for (const spec of node.weightSpecs) {
      const size = sizeOf(spec.shape);
      slots.push({
        name: `${node.id}.${spec.name}`,
        nodeId: node.id,
        shape: [...spec.shape],
        trainable: spec.trainable,
        offset,
        size,
      });
      offset += size;
    }
  }
  return { slots, total: offset };
}

/**
 * A compiled graph with its weights. Forward walks the nodes in topological order; backward walks
 * them in reverse, summing the gradients of nodes whose output feeds several others (micrograd's rule).
 */
export class Network {
  readonly graph: CompiledGraph;
  readonly params: Parameter[] = [];
  private readonly byNode = new Map<string, Parameter[]>();
  private workspace: Workspace | null = null;
  /** Node → the ReLU a training pass runs with it (fusion.ts); empty when fusing is off. */
  private fusions: Map<string, string>;
  /** Per node: does backward need the gradient of its output? Keyed by whether dLoss/dInput is wanted. */
  private readonly gradientNeeded = new Map<boolean, Map<string, boolean>>();

  /**
   * Weights start from `seed` (He or Glorot draws in node order). With `store`, every parameter's value and
   * gradient are views into its flat arrays (see FlatParameters) instead of arrays of their own.
   */
  constructor(graph: CompiledGraph | Graph, seed = 1, store?: FlatParameters) {
    this.graph = 'byId' in graph ? graph : compileGraph(graph);
    this.fusions = reluFusions(this.graph);
    // Refused here, before the first weight is allocated, when weights and gradients cannot fit.
    checkMemory(this.graph);
    const rng = new Rng(seed);
    const layout = store ? parameterLayout(this.graph) : null;
    if (store && layout && (store.values.length !== layout.total || store.grads.length !== layout.total)) {
      throw new Error(
        `flat parameter store holds ${store.values.length} values and ${store.grads.length} gradients; this network needs ${layout.total} of each`,
      );
    }
    const initialise = store?.initialise ?? true;
    let k = 0;
    for (const node of this.graph.nodes) {
      const ps = node.weightSpecs.map((spec) => {
        const slot = layout?.slots[k++];
        let value: Tensor;
        let grad: Tensor;
        if (store && slot) {
          value = tensor(spec.shape, store.values.subarray(slot.offset, slot.offset + slot.size));
          grad = tensor(spec.shape, store.grads.subarray(slot.offset, slot.offset + slot.size));
          if (initialise) value.data.set(initWeight(spec, rng).data);
        } else {
          value = initWeight(spec, rng);
          grad = tensor(spec.shape);
        }
        return { name: `${node.id}.${spec.name}`, nodeId: node.id, value, grad, trainable: spec.trainable };
      });
      this.byNode.set(node.id, ps);
      this.params.push(...ps);
    }
  }

  node(id: string): CompiledNode {
    const n = this.graph.byId.get(id);
    if (!n) throw new Error(`no node '${id}' in this network`);
    return n;
  }

  /**
   * From now on, recycle the buffers of one forward and backward pass for the next (see Workspace): a trace,
   * and the gradients backward returns, are then valid only until the next forward pass. For training loops
   * that drop each trace before the next step; off by default.
   */
  useWorkspace(on = true): void {
    this.workspace = on ? (this.workspace ?? new Workspace()) : null;
  }

  /**
   * Whether training passes run a layer and the ReLU after it as one (fusion.ts); on by default. The results are
   * the same bits either way: off is for the tests that check so.
   */
  fuseLayers(on: boolean): void {
    this.fusions = on ? reluFusions(this.graph) : new Map();
  }

  /** Runs the batch x ([N, ...inputShape]) through the network. `until` stops early at that node. */
  forward(x: Tensor, options: { training?: boolean; rng?: Rng; until?: string } = {}): Trace {
    const training = options.training ?? false;
    const rng = options.rng ?? new Rng(0);
    const outputs = new Map<string, Tensor>();
    const caches = new Map<string, unknown>();
    const fused = new Map<string, string>();
    this.workspace?.reset();
    const alloc = this.workspace?.alloc;
    for (const node of this.graph.nodes) {
      if (outputs.has(node.id)) continue; // a ReLU computed with the node before it
      const inputs = node.id === this.graph.inputId ? [x] : node.inputs.map((i) => outputs.get(i)!);
      const weights = this.byNode.get(node.id)!.map((p) => p.value);
      const args = { params: node.params, inputs, weights, training, rng, alloc };
      const relu = training && node.id !== options.until ? this.fusions.get(node.id) : undefined;
      if (relu) {
        const r = node.def.withRelu!.forward(args);
        outputs.set(relu, r.output);
        caches.set(node.id, r.cache);
        fused.set(node.id, relu);
        if (relu === options.until) break;
        continue;
      }
      const r = node.def.forward(args);
      outputs.set(node.id, r.output);
      caches.set(node.id, r.cache);
      if (node.id === options.until) break;
    }
    return { training, outputs, caches, ...(fused.size ? { fused } : {}) };
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
   * weight gradients into each parameter's grad. Returns dLoss/dInput, unless `inputGrad` is false: then
   * no layer computes gradients that lead only to the input, and it returns null.
   */
  backward(
    trace: Trace,
    grad: Tensor,
    from = this.graph.outputId,
    options: { inputGrad?: boolean } = {},
  ): Tensor | null {
    const needed = this.neededGradients(options.inputGrad ?? true);
    const alloc = this.workspace?.alloc;
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
    // A fused ReLU is skipped: the node before it back-propagates through both, from the ReLU's gradient.
    const fusedRelus = new Set(trace.fused?.values());
    for (let k = nodes.length - 1; k >= 0; k--) {
      const node = nodes[k];
      if (fusedRelus.has(node.id)) continue;
      const relu = trace.fused?.get(node.id);
      const gradOutput = grads.get(relu ?? node.id);
      if (!gradOutput) continue; // after `from`, or on a branch the loss does not depend on
      if (node.id === this.graph.inputId) return gradOutput;
      const ps = this.byNode.get(node.id)!;
      const needInputGrads = node.inputs.map((i) => needed.get(i)!);
      // Neither weights to train here nor anything upstream that needs a gradient: nothing to do.
      if (!ps.some((p) => p.trainable) && !needInputGrads.some(Boolean)) continue;
      const args = {
        params: node.params,
        inputs: node.inputs.map((i) => trace.outputs.get(i)!),
        weights: ps.map((p) => p.value),
        weightGrads: ps.map((p) => p.grad),
        training: trace.training,
        rng: new Rng(0),
        output: trace.outputs.get(relu ?? node.id)!,
        cache: trace.caches.get(node.id),
        gradOutput,
        alloc,
        needInputGrads,
      };
      const inputGrads = relu ? node.def.withRelu!.backward(args) : node.def.backward(args);
      inputGrads.forEach((g, i) => {
        if (g && needInputGrads[i]) accumulate(node.inputs[i], g);
      });
    }
    return null;
  }

  /** A node's output gradient is needed when the node or anything upstream of it has weights to train (or is the input, if asked). */
  private neededGradients(inputGrad: boolean): Map<string, boolean> {
    let needed = this.gradientNeeded.get(inputGrad);
    if (!needed) {
      needed = new Map();
      for (const node of this.graph.nodes) {
        const own = node.id === this.graph.inputId ? inputGrad : this.byNode.get(node.id)!.some((p) => p.trainable);
        needed.set(node.id, own || node.inputs.some((i) => needed!.get(i)));
      }
      this.gradientNeeded.set(inputGrad, needed);
    }
    return needed;
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
