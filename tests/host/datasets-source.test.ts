import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/engine/rng';
import { tensor } from '../../src/engine/tensor';
import {
  augment,
  augmentationPreview,
  datasetReport,
  DatasetSource,
  encodePng,
  openDataset,
  scanDataset,
  splitTrainValidation,
  type AugmentOptions,
  type DatasetBatch,
  type DatasetIndex,
} from '../../src/host/datasets';
import { noise, tempFolder, writeImage } from '../fixtures/datasets/generate';

/**
 * The batches training sees: the same seed gives the same batches (RELIABILITY.md case 13), a tiny memory budget
 * streams from disk yet gives the same batches as the cache, and augmentation is seeded.
 */
// Made in beforeAll, not when the file is collected, so that a filtered run leaves nothing behind.
let folder: ReturnType<typeof tempFolder>;
const input = { height: 12, width: 12, channels: 3 } as const;
let index: DatasetIndex;

beforeAll(async () => {
  folder = tempFolder('source');
  // Three classes of 9 noise images each, at odd sizes so that every image goes through a resize.
  let seed = 1;
  for (const name of ['ant', 'bee', 'cricket']) {
    for (let i = 0; i < 9; i++) await writeImage(join(folder.path, name, `${i}.png`), noise(13 + i, 11, 3, seed++));
  }
  index = await openDataset(folder.path, { validationFraction: 0 });
});
afterAll(() => folder.remove());

async function collect(source: DatasetSource, batchSize: number, seed: number, aug?: AugmentOptions) {
  const rng = new Rng(seed);
  const out: DatasetBatch[] = [];
  for await (const b of source.batches('train', batchSize, { rng, augment: aug })) out.push(b);
  return out;
}

describe('batches from the cache and from disk', () => {
  const aug: AugmentOptions = { flip: true, shift: 0.1, rotate: 10, brightness: 0.1, contrast: 0.2 };

  it('a budget of three images streams the rest, and the batches are identical to the cached ones', async () => {
    const cached = DatasetSource.create(index, input);
    const perImage = 3 * 12 * 12;
    const streamed = DatasetSource.create(index, input, { cacheBytes: 3 * perImage + 5 });
    for (let epoch = 0; epoch < 2; epoch++) {
      const a = await collect(cached, 4, 10 + epoch, aug);
      const b = await collect(streamed, 4, 10 + epoch, aug);
      expect(a.map((x) => x.files)).toEqual(b.map((x) => x.files));
      expect(b.map((x) => x.labels.length)).toEqual([4, 4, 4, 4, 4, 4, 3]);
      a.forEach((batch, i) => {
        expect(b[i].x.shape).toEqual(batch.x.shape);
        expect(b[i].x.data).toEqual(batch.x.data);
        expect(b[i].labels).toEqual(batch.labels);
      });
    }
    // The cache holds everything after the first epoch, so the second decodes nothing.
    expect(cached.cacheStats()).toMatchObject({ images: 27, hits: 27, misses: 27 });
    // The tiny one keeps the first three images it decoded and never goes over its budget: the second epoch finds
    // those 3 and decodes the other 24 again from disk.
    expect(streamed.cacheStats()).toMatchObject({ images: 3, bytes: 3 * perImage, hits: 3, misses: 27 + 24 });
  });

  it('past the budget, the next batch is already being decoded when the current one is handed over', async () => {
    const source = DatasetSource.create(index, input, { cacheBytes: 0 });
    const batches = source.batches('train', 4);
    const first = await batches.next();
    expect(first.value!.labels.length).toBe(4);
    // Four lookups for the batch handed over, four more for the one decoding ahead in the background.
    expect(source.cacheStats().misses).toBe(8);
    await batches.return(undefined);
  });

  it('the same seed gives the same batches; another seed another order', async () => {
    const a = await collect(DatasetSource.create(index, input), 5, 7, aug);
    const b = await collect(DatasetSource.create(index, input), 5, 7, aug);
    const c = await collect(DatasetSource.create(index, input), 5, 8, aug);
    expect(b.map((x) => x.x.data)).toEqual(a.map((x) => x.x.data));
    expect(c.map((x) => x.files)).not.toEqual(a.map((x) => x.files));
    // Every image appears once per epoch.
    expect(a.flatMap((x) => x.files).sort()).toEqual(index.splits.train.map((e) => e.rel).sort());
  });

  it('without a generator batches follow file order; dropLast leaves out the short batch', async () => {
    const source = DatasetSource.create(index, input);
    const files: string[] = [];
    let sizes: number[] = [];
    for await (const b of source.batches('train', 10)) files.push(...b.files);
    for await (const b of source.batches('train', 10, { dropLast: true })) sizes.push(b.labels.length);
    expect(files).toEqual(index.splits.train.map((e) => e.rel));
    expect(sizes).toEqual([10, 10]);
    sizes = [];
    for await (const b of source.batches('validation', 10)) sizes.push(b.labels.length);
    expect(sizes).toEqual([]);
  });

  it('normalisation uses the training split: its batches then have mean 0 and deviation 1 per channel', async () => {
    const source = DatasetSource.create(index, input, { normalize: true });
    const norm = (await source.normalization())!;
    const all = await source.load('train');
    const plane = 144;
    for (let c = 0; c < 3; c++) {
      let sum = 0;
      let sq = 0;
      for (let i = 0; i < 27; i++) {
        for (const v of all.x.data.subarray((i * 3 + c) * plane, (i * 3 + c + 1) * plane)) {
          sum += v;
          sq += v * v;
        }
      }
      const n = 27 * plane;
      expect(sum / n).toBeCloseTo(0, 5);
      expect(Math.sqrt(sq / n - (sum / n) ** 2)).toBeCloseTo(1, 5);
      // Noise is uniform over 0..255 (mean 0.5, deviation 0.29); resizing averages neighbours, narrowing it.
      expect(Math.abs(norm.mean[c] - 0.5)).toBeLessThan(0.05);
      expect(norm.std[c]).toBeGreaterThan(0.1);
      expect(norm.std[c]).toBeLessThan(0.3);
    }
    // Given statistics are used as they are.
    const given = DatasetSource.create(index, input, { normalize: { mean: [0, 0, 0], std: [0.5, 0.5, 0.5] } });
    const plain = await DatasetSource.create(index, input).load('train');
    const scaled = await given.load('train');
    expect(scaled.x.data.every((v, i) => Math.abs(v - plain.x.data[i] * 2) < 1e-6)).toBe(true);
  });
});

describe('the seeded train/validation split', () => {
  it('holds out the same share of every class, reproducibly, without overlap', async () => {
    const scanned = await scanDataset(folder.path);
    const a = splitTrainValidation(scanned, 0.25, 3);
    const b = splitTrainValidation(scanned, 0.25, 3);
    const c = splitTrainValidation(scanned, 0.25, 4);
    const perClass = (entries: readonly { label: number }[]) =>
      [0, 1, 2].map((l) => entries.filter((e) => e.label === l).length);
    // round(9 × 0.25) = 2 of each class.
    expect(perClass(a.splits.validation)).toEqual([2, 2, 2]);
    expect(perClass(a.splits.train)).toEqual([7, 7, 7]);
    expect(b.splits.validation.map((e) => e.rel)).toEqual(a.splits.validation.map((e) => e.rel));
    expect(c.splits.validation.map((e) => e.rel)).not.toEqual(a.splits.validation.map((e) => e.rel));
    const train = new Set(a.splits.train.map((e) => e.rel));
    expect(a.splits.validation.some((e) => train.has(e.rel))).toBe(false);
    expect(a.splits.validation.every((e) => e.split === 'validation')).toBe(true);
    // Splitting again starts from all the training images, not from the previous split's remainder.
    expect(splitTrainValidation(c, 0.25, 3).splits.validation).toEqual(a.splits.validation);
  });

  it('an explicit val/ folder wins, and duplicates across splits are reported', async () => {
    const f = tempFolder('explicit');
    try {
      await writeImage(join(f.path, 'train', 'a', '1.png'), noise(5, 5, 1, 1));
      await writeImage(join(f.path, 'train', 'a', '2.png'), noise(5, 5, 1, 2));
      await writeImage(join(f.path, 'train', 'b', '1.png'), noise(5, 5, 1, 3));
      await writeImage(join(f.path, 'val', 'a', '1.png'), noise(5, 5, 1, 4));
      await writeImage(join(f.path, 'val', 'b', '1.png'), noise(5, 5, 1, 5));
      // The same bytes in train and test, under different names.
      copyFileSync(join(f.path, 'train', 'a', '2.png'), join(f.path, 'val', 'a', 'copy.png'));
      const index = await openDataset(f.path);
      expect(index.layout).toBe('splits');
      expect(index.validation).toEqual({ kind: 'folder' });
      expect(index.splits.validation.map((e) => e.rel)).toEqual(['val/a/1.png', 'val/a/copy.png', 'val/b/1.png']);
      const report = datasetReport(index);
      expect(report.duplicates).toHaveLength(1);
      expect(report.duplicates[0].files.map((d) => d.rel)).toEqual(['train/a/2.png', 'val/a/copy.png']);
      expect(report.warnings.some((w) => w.includes('1 image(s) appear in more than one split'))).toBe(true);
    } finally {
      f.remove();
    }
  });
});

describe('augmentation', () => {
  const rand = (seed: number, n = 6, c = 2, h = 9, w = 9) => {
    const r = new Rng(seed);
    return tensor(
      [n, c, h, w],
      Float32Array.from({ length: n * c * h * w }, () => r.next()),
    );
  };

  it('a flip mirrors an image exactly or leaves it as it is, about half the time each', () => {
    const x = rand(1, 40);
    const y = augment(x, { flip: true }, new Rng(5));
    let flipped = 0;
    const per = 2 * 81;
    for (let i = 0; i < 40; i++) {
      const a = x.data.subarray(i * per, (i + 1) * per);
      const b = y.data.subarray(i * per, (i + 1) * per);
      const same = a.every((v, k) => v === b[k]);
      const mirrored = a.every((v, k) => v === b[k - (k % 9) + 8 - (k % 9)]);
      expect(same || mirrored).toBe(true);
      if (mirrored && !same) flipped++;
    }
    expect(flipped).toBeGreaterThan(10);
    expect(flipped).toBeLessThan(30);
  });

  it('a shift moves a single bright pixel by whole pixels within the range', () => {
    const x = tensor([20, 1, 21, 21]);
    for (let i = 0; i < 20; i++) x.data[i * 441 + 10 * 21 + 10] = 1;
    const y = augment(x, { shift: 0.2 }, new Rng(2));
    const moves = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const img = y.data.subarray(i * 441, (i + 1) * 441);
      const at = img.indexOf(1);
      expect(img.reduce((a, b) => a + b)).toBe(1);
      const [dy, dx] = [Math.floor(at / 21) - 10, (at % 21) - 10];
      expect(Math.abs(dx)).toBeLessThanOrEqual(4);
      expect(Math.abs(dy)).toBeLessThanOrEqual(4);
      moves.add(`${dx},${dy}`);
    }
    expect(moves.size).toBeGreaterThan(5);
  });

  it('a flip with a shift copies whole pixels, the edge row or column standing in for what moved in', () => {
    const x = rand(7, 30, 2, 7, 8);
    const y = augment(x, { flip: true, shift: 0.3 }, new Rng(9));
    const [h, w, per] = [7, 8, 2 * 56];
    const clamp = (v: number, n: number) => Math.min(n - 1, Math.max(0, v));
    // What image i would be, flipped or not and shifted by (dx, dy), read from x the way the warp defines it.
    const expected = (i: number, flip: boolean, dx: number, dy: number) =>
      Array.from({ length: per }, (_, k) => {
        const [c, yy, xx] = [Math.floor(k / 56), Math.floor((k % 56) / w), k % w];
        const sx = flip ? w - 1 - (xx - dx) : xx - dx;
        return x.data[i * per + c * 56 + clamp(yy - dy, h) * w + clamp(sx, w)];
      });
    const seen = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const got = Array.from(y.data.subarray(i * per, (i + 1) * per));
      const found: string[] = [];
      for (const flip of [false, true])
        for (let dx = -2; dx <= 2; dx++)
          for (let dy = -2; dy <= 2; dy++)
            if (expected(i, flip, dx, dy).every((v, k) => v === got[k])) found.push(`${flip},${dx},${dy}`);
      expect(found.length, `image ${i}`).toBeGreaterThan(0);
      seen.add(found[0]);
    }
    expect([...seen].some((m) => m.startsWith('true') && !m.endsWith(',0,0'))).toBe(true);
    expect(seen.size).toBeGreaterThan(8);
  });

  it('a rotation turns a bar and keeps a constant image constant', () => {
    const flat = tensor([3, 1, 9, 9], new Float32Array(243).fill(0.3));
    expect(augment(flat, { rotate: 30 }, new Rng(1)).data.every((v) => Math.abs(v - 0.3) < 1e-6)).toBe(true);
    // A horizontal bar through the centre; rotated by up to 45° it leaves the centre row partly.
    const bar = tensor([10, 1, 15, 15]);
    for (let i = 0; i < 10; i++) bar.data.fill(1, i * 225 + 7 * 15, i * 225 + 8 * 15);
    const turned = augment(bar, { rotate: 45 }, new Rng(3));
    let changed = 0;
    for (let i = 0; i < 10; i++) {
      const img = turned.data.subarray(i * 225, (i + 1) * 225);
      expect(img[7 * 15 + 7]).toBeCloseTo(1, 5);
      if (img[7 * 15 + 1] < 0.9) changed++;
    }
    expect(changed).toBeGreaterThan(5);
  });

  it('brightness and contrast stay in [0, 1]; contrast alone keeps the mean', () => {
    const x = rand(4);
    const b = augment(x, { brightness: 0.5 }, new Rng(1));
    expect(b.data.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(b.data).not.toEqual(x.data);
    const mid = tensor(
      x.shape,
      x.data.map((v) => 0.4 + v * 0.2),
    );
    const c = augment(mid, { contrast: 0.5 }, new Rng(1));
    for (let p = 0; p < 12; p++) {
      const mean = (d: Float32Array) => d.subarray(p * 81, (p + 1) * 81).reduce((s, v) => s + v) / 81;
      expect(mean(c.data)).toBeCloseTo(mean(mid.data), 5);
    }
    expect(c.data).not.toEqual(mid.data);
  });

  it('the same seed gives the same augmentation', () => {
    const x = rand(9);
    const o: AugmentOptions = { flip: true, shift: 0.2, rotate: 15, brightness: 0.2, contrast: 0.3 };
    expect(augment(x, o, new Rng(3)).data).toEqual(augment(x, o, new Rng(3)).data);
    expect(augment(x, o, new Rng(3)).data).not.toEqual(augment(x, o, new Rng(4)).data);
  });

  it('a preview of dataset examples: one row per class', async () => {
    const source = DatasetSource.create(index, input);
    const examples = await source.examples('train', 1);
    expect(examples.files).toEqual(['ant/0.png', 'bee/0.png', 'cricket/0.png']);
    const grid = augmentationPreview(examples.x, { shift: 0.1 }, { copies: 5 });
    expect(grid.shape).toEqual([3, 3 * 12 + 2 * 2, 6 * 12 + 5 * 2]);
    expect((await source.examples('train', 2)).labels).toEqual(Int32Array.from([0, 0, 1, 1, 2, 2]));
  });

  it('a preview grid shows each original beside its augmented copies, and encodes to PNG', async () => {
    const x = rand(2, 2, 3, 8, 10);
    const grid = augmentationPreview(x, { flip: true, rotate: 20 }, { copies: 3, seed: 1, gap: 2 });
    expect(grid.shape).toEqual([3, 2 * 8 + 2, 4 * 10 + 3 * 2]);
    // The first tile of the second row is the second image, unchanged.
    const [, gh, gw] = grid.shape;
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < 8; y++) {
        for (let xx = 0; xx < 10; xx++) {
          expect(grid.data[c * gh * gw + (10 + y) * gw + xx]).toBe(x.data[((1 * 3 + c) * 8 + y) * 10 + xx]);
        }
      }
    }
    // The gaps are white.
    expect(grid.data[8 * gw + 5]).toBe(1);
    const png = await encodePng(grid);
    const meta = await sharp(png).metadata();
    expect([meta.format, meta.width, meta.height, meta.channels]).toEqual(['png', gw, gh, 3]);
  });
});
