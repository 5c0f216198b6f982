import { rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Rng } from '../../src/engine/rng';
import {
  DatasetError,
  DatasetSource,
  inspectDataset,
  openDataset,
  scanDataset,
  splitTrainValidation,
} from '../../src/host/datasets';
import { noise, solid, tempFolder, writeFile, writeImage } from '../fixtures/datasets/generate';

/**
 * RELIABILITY.md cases 3 and 6: what stops training names the folder or class at fault and says what is needed;
 * files removed during training give a clear error naming the file.
 */
const folders: { remove: () => void }[] = [];
const temp = (name: string) => {
  const f = tempFolder(name);
  folders.push(f);
  return f.path;
};
afterEach(() => folders.splice(0).forEach((f) => f.remove()));

/** Writes `count` small distinct PNGs into each class folder under `dir`. */
async function classes(dir: string, counts: Record<string, number>): Promise<void> {
  let seed = 1;
  for (const [name, count] of Object.entries(counts)) {
    for (let i = 0; i < count; i++) await writeImage(join(dir, name, `${i}.png`), noise(6, 6, 1, seed++));
  }
}

/** The DatasetError a promise rejects with (failing the test if it resolves or throws anything else). */
async function datasetError(p: Promise<unknown>): Promise<DatasetError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(DatasetError);
  return e as DatasetError;
}

describe('a dataset that cannot train says why', () => {
  it('a missing folder is named', async () => {
    const missing = join(temp('missing'), 'nowhere');
    const e = await datasetError(scanDataset(missing));
    expect(e.message).toContain(missing);
    expect(e.message).toContain('does not exist');
  });

  it('a file given as the folder is named', async () => {
    const file = join(temp('file'), 'a.png');
    await writeImage(file, solid(4, 4, [1]));
    expect((await datasetError(scanDataset(file))).message).toContain('is a file, not a dataset folder');
  });

  it('no class folders: images lying in the folder itself', async () => {
    const root = temp('flat');
    for (let i = 0; i < 3; i++) await writeImage(join(root, `${i}.png`), noise(4, 4, 1, i + 1));
    const { report } = await inspectDataset(root);
    expect(report.errors).toHaveLength(1);
    expect(report.errors[0]).toContain(`No class folders in "${root}"`);
    expect(report.errors[0]).toContain('3 image(s) directly');
    expect(report.skippedByKind['outside-class']).toBe(3);
    const e = await datasetError(openDataset(root));
    expect(e.path).toBe(root);
  });

  it('one class only', async () => {
    const root = temp('one');
    await classes(root, { 'only cats': 4 });
    const e = await datasetError(openDataset(root));
    expect(e.message).toContain('Only one class ("only cats")');
    expect(e.message).toContain('at least two class folders');
    expect(e.className).toBe('only cats');
  });

  it('an empty class is named with its folder, and the others still count', async () => {
    const root = temp('empty');
    await classes(root, { cat: 3, dog: 3 });
    writeFile(join(root, 'bird', 'notes.txt'), 'nothing here yet');
    const { report } = await inspectDataset(root);
    expect(report.errors).toEqual([
      `Class "bird" has no usable training images: its folder "${join(root, 'bird')}" holds no images. Each class needs at least one image.`,
    ]);
    expect(report.classes.map((c) => [c.name, c.counts.train + c.counts.validation])).toEqual([
      ['bird', 0],
      ['cat', 3],
      ['dog', 3],
    ]);
    const e = await datasetError(openDataset(root));
    expect(e.className).toBe('bird');
    expect(e.path).toBe(join(root, 'bird'));
  });

  it('a class whose files were all skipped gives the first reason', async () => {
    const root = temp('skipped');
    await classes(root, { cat: 3, dog: 3 });
    writeFile(join(root, 'fish', 'fish.png'), 'not really a png');
    const e = await datasetError(openDataset(root));
    expect(e.message).toContain('Class "fish" has no usable training images: all 1 of its files were skipped');
    expect(e.message).toContain('fish/fish.png: content is not a PNG');
  });

  it('a class found only in the test folder has no training images', async () => {
    const root = temp('testonly');
    await classes(join(root, 'train'), { cat: 3, dog: 3 });
    await classes(join(root, 'test'), { cat: 1, dog: 1, eel: 1 });
    const e = await datasetError(openDataset(root));
    expect(e.message).toContain('Class "eel" has no usable training images');
    expect(e.message).toContain('appears only in another split');
  });

  it('a class too small to split is named; a fraction of 0 trains on it', async () => {
    const root = temp('small');
    await classes(root, { cat: 5, dog: 1 });
    const e = await datasetError(openDataset(root));
    expect(e.message).toContain(`Class "dog" has only 1 image in "${join(root, 'dog')}"`);
    expect(e.message).toContain('needs at least 2 per class');
    const { report } = await inspectDataset(root);
    expect(report.errors).toEqual([e.message]);
    const index = await openDataset(root, { validationFraction: 0 });
    expect(index.splits.train).toHaveLength(6);
    expect(index.validation.kind).toBe('none');
  });

  it('bad options are refused with the value', async () => {
    const root = temp('options');
    await classes(root, { cat: 3, dog: 3 });
    const index = await scanDataset(root);
    expect(() => splitTrainValidation(index, 1)).toThrow(/validation fraction .* got 1/);
    expect(() => DatasetSource.create(index, { height: 8, width: 8, channels: 2 as 1 })).toThrow(
      /1 or 3 channels, got 2/,
    );
    expect(() => DatasetSource.create(index, { height: 0, width: 8, channels: 1 })).toThrow(/height .* got 0/);
    const source = DatasetSource.create(index, { height: 8, width: 8, channels: 1 });
    await expect(source.batches('train', 0).next()).rejects.toThrow(/batch size .* got 0/);
    await expect(source.batches('train', 2, { augment: { flip: true } }).next()).rejects.toThrow(
      /needs a seeded generator/,
    );
    await expect(source.batches('train', 2, { rng: new Rng(1), augment: { rotate: 400 } }).next()).rejects.toThrow(
      /"rotate" must be between 0 and 180, got 400/,
    );
  });
});

describe('files that disappear during training', () => {
  it('streaming from disk: a removed folder stops training with an error naming the file', async () => {
    const root = temp('removed');
    await classes(root, { cat: 6, dog: 6 });
    const index = await openDataset(root, { validationFraction: 0 });
    // No cache: every batch is read from disk.
    const source = DatasetSource.create(index, { height: 6, width: 6, channels: 1 }, { cacheBytes: 0 });
    const batches = source.batches('train', 2);
    expect((await batches.next()).value!.files).toEqual(['cat/0.png', 'cat/1.png']);
    rmSync(join(root, 'dog'), { recursive: true });
    const e = await datasetError(
      (async () => {
        for await (const _ of batches);
      })(),
    );
    expect(e.message).toMatch(/^Could not read "dog\/\d\.png" \(class "dog"\) during training: /);
    expect(e.message).toContain('Scan the dataset again');
    expect(e.className).toBe('dog');
  });

  it('from the cache: images already decoded keep training after their file is deleted', async () => {
    const root = temp('cached');
    await classes(root, { cat: 3, dog: 3 });
    const index = await openDataset(root, { validationFraction: 0 });
    const source = DatasetSource.create(index, { height: 6, width: 6, channels: 1 });
    const first = await source.load('train');
    unlinkSync(join(root, 'cat', '0.png'));
    const second = await source.load('train');
    expect(second.x.data).toEqual(first.x.data);
    expect(source.cacheStats().hits).toBe(6);
  });
});
