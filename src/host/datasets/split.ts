import { Rng } from '../../engine/rng';
import { join } from 'node:path';
import { DatasetError } from './errors';
import type { DatasetIndex, ImageEntry } from './types';
import { byCodePoint } from './walk';

/** The default share of each class held out for validation. */
export const DEFAULT_VALIDATION_FRACTION = 0.2;

/**
 * Holds out a seeded, stratified validation split from the training images: the same share of every class, the
 * same files for the same seed. A dataset with its own val/ folder is returned as it is, and a fraction of 0
 * trains on everything. Throws a `DatasetError` naming a class too small to split (it needs at least two images:
 * one to train on, one to validate).
 */
export function splitTrainValidation(
  index: DatasetIndex,
  fraction = DEFAULT_VALIDATION_FRACTION,
  seed = 1,
): DatasetIndex {
  if (index.validation.kind === 'folder') return index;
  checkValidationFraction(fraction);
  // Start again from all training images, so that splitting a split index with another seed is not cumulative.
  const pool = [...index.splits.train, ...(index.validation.kind === 'split' ? index.splits.validation : [])];
  if (fraction === 0) {
    const train = pool.map((e) => ({ ...e, split: 'train' as const })).sort((a, b) => byCodePoint(a.rel, b.rel));
    return { ...index, splits: { ...index.splits, train, validation: [] }, validation: { kind: 'none' } };
  }
  const byClass: ImageEntry[][] = index.classes.map(() => []);
  for (const e of pool) byClass[e.label].push(e);
  const tooSmall = byClass.findIndex((files) => files.length < 2);
  if (tooSmall >= 0) throw tooSmallError(index, tooSmall, byClass[tooSmall].length);
  const rng = new Rng(seed);
  const train: ImageEntry[] = [];
  const validation: ImageEntry[] = [];
  byClass.forEach((files) => {
    files.sort((a, b) => byCodePoint(a.rel, b.rel));
    // At least one image on each side, whatever the fraction.
    const held = Math.min(files.length - 1, Math.max(1, Math.round(files.length * fraction)));
    const order = Int32Array.from(files, (_, i) => i);
    rng.shuffle(order);
    order.forEach((i, k) =>
      (k < held ? validation : train).push({ ...files[i], split: k < held ? 'validation' : 'train' }),
    );
  });
  train.sort((a, b) => byCodePoint(a.rel, b.rel));
  validation.sort((a, b) => byCodePoint(a.rel, b.rel));
  return { ...index, splits: { ...index.splits, train, validation }, validation: { kind: 'split', fraction, seed } };
}

/** Throws a `DatasetError` unless 0 ≤ fraction < 1. */
export function checkValidationFraction(fraction: number): void {
  if (!(fraction >= 0 && fraction < 1)) {
    throw new DatasetError(`The validation fraction must be at least 0 and below 1, got ${fraction}`);
  }
}

/** Labels of the classes with fewer than the 2 training images a validation split needs. */
export function classesTooSmallToSplit(index: DatasetIndex): number[] {
  const counts = new Array<number>(index.classes.length).fill(0);
  for (const e of index.splits.train) counts[e.label]++;
  if (index.validation.kind === 'split') for (const e of index.splits.validation) counts[e.label]++;
  return counts.flatMap((n, label) => (n < 2 ? [label] : []));
}

/** The error for a class too small to split, naming it and its folder. */
export function tooSmallError(index: DatasetIndex, label: number, count: number): DatasetError {
  const name = index.classes[label];
  const folder = index.layout === 'splits' ? join(index.root, 'train', name) : join(index.root, name);
  const has = count === 0 ? 'no images' : 'only 1 image';
  return new DatasetError(
    `Class "${name}" has ${has} in "${folder}": a train/validation split needs at least 2 per class. Add images, or set the validation fraction to 0.`,
    folder,
    name,
  );
}
