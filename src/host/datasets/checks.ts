import { join } from 'node:path';
import { DatasetError } from './errors';
import type { DatasetIndex } from './types';

/** A reason training cannot start, naming the folder or class at fault. */
export interface DatasetProblem {
  readonly message: string;
  readonly path: string;
  readonly className?: string;
}

/** Where a class's training images are expected, for messages. */
const trainFolderOf = (index: DatasetIndex, className: string): string =>
  index.layout === 'splits' ? join(index.root, 'train', className) : join(index.root, className);

/**
 * Everything that stops training on this dataset: no class folders, a single class, a class without training
 * images. Returned as data so that the report can list them all; `assertTrainable` throws the first.
 */
export function datasetProblems(index: DatasetIndex): DatasetProblem[] {
  const { root } = index;
  if (index.classes.length === 0) {
    const loose = index.skipped.filter((s) => s.kind === 'outside-class').length;
    const found = loose > 0 ? ` It holds ${loose} image(s) directly; move them into one folder per class.` : '';
    const where = index.layout === 'splits' ? `"${join(root, 'train')}"` : `"${root}"`;
    return [
      {
        message: `No class folders in ${where}: a dataset needs one subfolder per class (such as cat/ and dog/), or train/ and test/ folders that hold them.${found}`,
        path: root,
      },
    ];
  }
  if (index.classes.length === 1) {
    const name = index.classes[0];
    return [
      {
        message: `Only one class ("${name}") in "${root}": a classifier needs at least two class folders.`,
        path: root,
        className: name,
      },
    ];
  }
  const counts = new Array<number>(index.classes.length).fill(0);
  for (const e of index.splits.train) counts[e.label]++;
  // A carved validation split holds training images too.
  if (index.validation.kind === 'split') for (const e of index.splits.validation) counts[e.label]++;
  const problems: DatasetProblem[] = [];
  index.classes.forEach((name, label) => {
    if (counts[label] > 0) return;
    const folder = trainFolderOf(index, name);
    const skipped = index.skipped.filter(
      (s) => s.className === name && s.rel.startsWith(index.layout === 'splits' ? 'train/' : ''),
    );
    const why = !index.classFolders.train.includes(name)
      ? `there is no "${name}" folder in "${join(root, 'train')}" (it appears only in another split)`
      : skipped.length > 0
        ? `all ${skipped.length} of its files were skipped (first: ${skipped[0].rel}: ${skipped[0].reason})`
        : `its folder "${folder}" holds no images`;
    problems.push({
      message: `Class "${name}" has no usable training images: ${why}. Each class needs at least one image.`,
      path: folder,
      className: name,
    });
  });
  return problems;
}

/** Throws a `DatasetError` naming the folder or class at fault when training cannot start on this dataset. */
export function assertTrainable(index: DatasetIndex): void {
  const [first, ...rest] = datasetProblems(index);
  if (!first) return;
  const more =
    rest.length > 0 ? ` (and ${rest.length} more: ${rest.map((p) => p.className ?? p.path).join(', ')})` : '';
  throw new DatasetError(first.message + more, first.path, first.className);
}
