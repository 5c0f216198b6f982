import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { unpackOnce } from '../../scripts/folder-pack';
import { tensor, type Examples } from '../../src/engine';

const PACK = fileURLToPath(new URL('../fixtures/fashion-mnist-small/fashion-mnist-small.pack', import.meta.url));

/**
 * fashion-mnist-small (5,000 train and 1,000 test 28×28 gray PNGs in class folders), unpacked from the one-file
 * fixture into a folder of the system's temporary directory named by the pack's hash: once per machine, shared
 * by every test file and by concurrent runs, and never inside the work tree.
 */
export const fashionDir = unpackOnce(
  PACK,
  join(
    tmpdir(),
    `convas-fashion-mnist-small-${createHash('sha256').update(readFileSync(PACK)).digest('hex').slice(0, 12)}`,
  ),
);

/**
 * Reads a class-per-folder split of 28×28 grayscale PNGs into [N, 1, 28, 28] scaled to [0, 1].
 * A test-only loader (the real dataset service lives in src/host/datasets). `perClass` takes the first n files.
 */
export function loadFashion(split: 'train' | 'test', perClass = Infinity): Examples & { classes: string[] } {
  const root = join(fashionDir, split);
  const classes = readdirSync(root).sort();
  const files: [string, number][] = [];
  classes.forEach((c, label) => {
    for (const f of readdirSync(join(root, c)).sort().slice(0, perClass)) files.push([join(root, c, f), label]);
  });
  const x = tensor([files.length, 1, 28, 28]);
  const labels = new Int32Array(files.length);
  files.forEach(([file, label], i) => {
    const png = PNG.sync.read(readFileSync(file));
    if (png.width !== 28 || png.height !== 28) throw new Error(`${file} is ${png.width}×${png.height}, expected 28×28`);
    // pngjs always yields RGBA; the images are gray, so the red channel is the intensity.
    for (let p = 0; p < 784; p++) x.data[i * 784 + p] = png.data[p * 4] / 255;
    labels[i] = label;
  });
  return { x, labels, classes };
}
