import { tensor, type Tensor } from './tensor';

/** Loss value (mean over the batch) and its gradient with respect to the scores it was given. */
export interface LossResult {
  loss: number;
  grad: Tensor;
}

export type LossKind = 'mse' | 'cross_entropy';

/**
 * Mean squared error with the source text's convention J = 1/(2m) · Σ (f(x) − y)², m the batch size,
 * so that dJ/df = (f − y)/m. The halving cancels the 2 of the square's derivative.
 */
export function meanSquaredError(pred: Tensor, target: Tensor): LossResult {
  if (pred.data.length !== target.data.length) {
    throw new Error(`MSE: predictions have ${pred.data.length} values, targets ${target.data.length}`);
  }
  const m = pred.shape[0];
  const grad = tensor(pred.shape);
  let sum = 0;
  for (let i = 0; i < pred.data.length; i++) {
    const d = pred.data[i] - target.data[i];
    sum += d * d;
    grad.data[i] = d / m;
  }
  return { loss: sum / (2 * m), grad };
}

/**
 * Softmax cross-entropy on raw scores (logits), computed as log-sum-exp so that large scores neither
 * overflow nor produce log(0): loss_i = log Σ_j e^(z_ij − max) − (z_i,label − max).
 * Its gradient is the famous (softmax(z) − onehot(label)) / m.
 *
 * With label smoothing ε (Szegedy et al., 2016) the target is (1 − ε)·onehot + ε/k instead of onehot:
 * loss_i = log Σ_j e^(z_ij − max) − Σ_j t_j (z_ij − max), gradient (softmax(z) − t) / m. The network is no longer
 * pushed towards certainty it cannot have, which generalises better on classes that look alike (a shirt and a
 * T-shirt). ε = 0 is the plain loss, to the bit.
 */
export function softmaxCrossEntropy(logits: Tensor, labels: Int32Array, smoothing = 0): LossResult {
  const [m, k] = logits.shape;
  if (labels.length !== m) throw new Error(`cross-entropy: ${m} examples but ${labels.length} labels`);
  if (!(smoothing >= 0 && smoothing < 1))
    throw new Error(`cross-entropy: label smoothing ${smoothing} is outside [0, 1)`);
  const grad = tensor(logits.shape);
  const off = smoothing / k;
  const on = 1 - smoothing + off;
  let total = 0;
  for (let i = 0; i < m; i++) {
    const o = i * k;
    const label = labels[i];
    if (label < 0 || label >= k) throw new Error(`cross-entropy: label ${label} is outside 0..${k - 1}`);
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, logits.data[o + j]);
    let sum = 0;
    for (let j = 0; j < k; j++) sum += Math.exp(logits.data[o + j] - max);
    const logSum = Math.log(sum);
    if (smoothing === 0) {
      total += logSum - (logits.data[o + label] - max);
      for (let j = 0; j < k; j++) {
        const p = Math.exp(logits.data[o + j] - max - logSum);
        grad.data[o + j] = (p - (j === label ? 1 : 0)) / m;
      }
      continue;
    }
    // Σ_j t_j = 1, so the log-sum-exp term is taken once.
    let targetDot = 0;
    for (let j = 0; j < k; j++) {
      const t = j === label ? on : off;
      targetDot += t * (logits.data[o + j] - max);
      grad.data[o + j] = (Math.exp(logits.data[o + j] - max - logSum) - t) / m;
    }
    total += logSum - targetDot;
  }
  return { loss: total / m, grad };
}

/** Labels as one-hot rows, for MSE on a classification problem. */
export function oneHot(labels: Int32Array, classes: number): Tensor {
  const t = tensor([labels.length, classes]);
  labels.forEach((l, i) => (t.data[i * classes + l] = 1));
  return t;
}
