import { sizeOf, type CompiledGraph, type Evaluation, type OptimizerState } from '../../engine';
import type { ParameterLayout } from '../../engine/network';
import type { PartialEvaluation } from './messages';
import type { Inputs } from './shared-memory';

/** What the host checks before a job reaches the workers, and how it puts the workers' parts together. */

/** Throws unless x holds whole examples of the network's input shape, saying what was expected. */
export function checkInputs(graph: CompiledGraph, x: Inputs, what: string): void {
  const want = graph.inputShape;
  const got = x.shape.slice(1);
  if (got.length !== want.length || got.some((d, i) => d !== want[i]) || x.data.length !== sizeOf(x.shape)) {
    throw new Error(
      `${what}: the inputs are [${got.join('×')}] per example, the network's input expects [${want.join('×')}]`,
    );
  }
}

export function checkLabels(x: Inputs, labels: Int32Array, what: string): void {
  if (labels.length !== x.shape[0]) throw new Error(`${what}: ${x.shape[0]} examples but ${labels.length} labels`);
}

/** The whole set's loss, accuracy and confusion matrix from the workers' parts of it. */
export function mergeEvaluations(parts: readonly PartialEvaluation[], classes: number): Evaluation {
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  let lossSum = 0;
  let correct = 0;
  let count = 0;
  for (const p of parts) {
    lossSum += p.lossSum;
    correct += p.correct;
    count += p.count;
    p.confusion.forEach((c, i) => (confusion[Math.floor(i / classes)][i % classes] += c));
  }
  const n = Math.max(count, 1);
  return { loss: lossSum / n, accuracy: correct / n, confusion };
}

/**
 * One optimizer state per parameter from the workers' states, each of which holds slots for the slices of
 * the parameters that worker updates, named `${parameter}@${offset}` (see Replica).
 */
export function mergeOptimizerStates(parts: readonly OptimizerState[], layout: ParameterLayout): OptimizerState {
  const slots: Record<string, Float32Array[]> = {};
  const sizes = new Map(layout.slots.map((s) => [s.name, s.size]));
  for (const part of parts) {
    for (const [key, arrays] of Object.entries(part.slots)) {
      const at = key.lastIndexOf('@');
      const name = key.slice(0, at);
      const from = Number(key.slice(at + 1));
      slots[name] ??= arrays.map(() => new Float32Array(sizes.get(name)!));
      arrays.forEach((a, i) => slots[name][i].set(a, from));
    }
  }
  return { step: parts[0].step, slots };
}
