import { Rng, tensor, type NamedWeights, type Tensor } from '../../src/engine';

/** n seeded 1×8×8 images of normal noise with labels 0..2: the training tests' small classification problem. */
export function examples(n: number, seed: number): { x: Tensor; labels: Int32Array } {
  const rng = new Rng(seed);
  const x = tensor([n, 1, 8, 8]);
  for (let i = 0; i < x.data.length; i++) x.data[i] = rng.normal();
  return { x, labels: Int32Array.from({ length: n }, () => rng.int(3)) };
}

/** Every weight's values end to end, in name order as the network lists them, for exact comparisons. */
export const flat = (w: NamedWeights): number[] => Object.keys(w).flatMap((k) => Array.from(w[k].data));
