import { meanSquaredError, oneHot, softmaxCrossEntropy, type LossKind, type LossResult } from './losses';
import type { Network, Trace } from './network';
import { createOptimizer, type Optimizer, type OptimizerConfig } from './optim';
import { Rng } from './rng';
import { sizeOf, tensor, type Tensor } from './tensor';

/** A labelled set of examples: x is [N, ...inputShape]; labels are class indices (or targets for MSE regression). */
export interface Examples {
  x: Tensor;
  labels: Int32Array;
  /** Regression targets [N, ...outputShape]; when absent, MSE trains towards one-hot labels. */
  targets?: Tensor;
}

export interface Evaluation {
  loss: number;
  accuracy: number;
  /** confusion[actual][predicted] = count */
  confusion: number[][];
}

/**
 * The loss of a forward trace and the node backward should start from. For cross-entropy the scores
 * are the logits: when the network ends in Softmax, its input (the fused, stable form); otherwise its output.
 * `smoothing` is cross-entropy's label smoothing (training only: evaluations report the plain loss).
 */
export function computeLoss(
  net: Network,
  trace: Trace,
  batch: Examples,
  kind: LossKind,
  smoothing = 0,
): LossResult & { from: string } {
  const out = net.node(net.graph.outputId);
  if (kind === 'cross_entropy') {
    const from = out.def.type === 'softmax' ? out.inputs[0] : out.id;
    return { ...softmaxCrossEntropy(trace.outputs.get(from)!, batch.labels, smoothing), from };
  }
  const pred = trace.outputs.get(out.id)!;
  const target = batch.targets ?? oneHot(batch.labels, sizeOf(out.outShape));
  return { ...meanSquaredError(pred, target), from: out.id };
}

/** One network, one optimizer, one seeded generator: forward, backward and a step per batch. */
export class Trainer {
  readonly optimizer: Optimizer;
  readonly rng: Rng;

  constructor(
    readonly net: Network,
    optimizer: OptimizerConfig,
    readonly loss: LossKind = 'cross_entropy',
    seed = 1,
  ) {
    this.optimizer = createOptimizer(optimizer);
    this.rng = new Rng(seed);
  }

  /** Forward, backward and one optimizer step on a batch; returns the batch's loss before the step. */
  step(batch: Examples): number {
    const trace = this.net.forward(batch.x, { training: true, rng: this.rng });
    const { loss, grad, from } = computeLoss(this.net, trace, batch, this.loss);
    this.net.zeroGrads();
    this.net.backward(trace, grad, from);
    this.optimizer.step(this.net.params);
    return loss;
  }

  /** One pass over the examples in a seeded random order; returns the mean loss over its batches. */
  epoch(data: Examples, batchSize: number, onStep?: (loss: number, index: number) => void): number {
    const order = Int32Array.from({ length: data.labels.length }, (_, i) => i);
    this.rng.shuffle(order);
    let total = 0;
    let steps = 0;
    for (let s = 0; s < order.length; s += batchSize) {
      const loss = this.step(gather(data, order.subarray(s, Math.min(order.length, s + batchSize))));
      total += loss;
      onStep?.(loss, steps);
      steps++;
    }
    return total / Math.max(steps, 1);
  }
}

/** The examples at the given indices, copied into one batch. */
export function gather(data: Examples, idx: ArrayLike<number>): Examples {
  const per = sizeOf(data.x.shape.slice(1));
  const x = tensor([idx.length, ...data.x.shape.slice(1)]);
  const labels = new Int32Array(idx.length);
  let targets: Tensor | undefined;
  const tper = data.targets ? sizeOf(data.targets.shape.slice(1)) : 0;
  if (data.targets) targets = tensor([idx.length, ...data.targets.shape.slice(1)]);
  for (let i = 0; i < idx.length; i++) {
    const j = idx[i];
    x.data.set(data.x.data.subarray(j * per, (j + 1) * per), i * per);
    labels[i] = data.labels[j];
    if (targets && data.targets) targets.data.set(data.targets.data.subarray(j * tper, (j + 1) * tper), i * tper);
  }
  return { x, labels, targets };
}

/** Index of the largest value in each row of [N, K] scores. */
export function argmaxRows(t: Tensor): Int32Array {
  const k = sizeOf(t.shape.slice(1));
  const out = new Int32Array(t.shape[0]);
  for (let i = 0; i < out.length; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (t.data[i * k + j] > t.data[i * k + best]) best = j;
    out[i] = best;
  }
  return out;
}

/** Loss, accuracy and confusion matrix over a set, in inference mode (dropout off, running batch-norm statistics). */
export function evaluate(net: Network, data: Examples, loss: LossKind = 'cross_entropy', batchSize = 128): Evaluation {
  const classes = sizeOf(net.graph.outputShape);
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  const n = data.labels.length;
  let total = 0;
  let correct = 0;
  for (let s = 0; s < n; s += batchSize) {
    const idx = Int32Array.from({ length: Math.min(n, s + batchSize) - s }, (_, i) => s + i);
    const batch = gather(data, idx);
    const trace = net.forward(batch.x);
    total += computeLoss(net, trace, batch, loss).loss * idx.length;
    const pred = argmaxRows(net.output(trace));
    pred.forEach((p, i) => {
      confusion[batch.labels[i]][p]++;
      if (p === batch.labels[i]) correct++;
    });
  }
  return { loss: total / Math.max(n, 1), accuracy: correct / Math.max(n, 1), confusion };
}
