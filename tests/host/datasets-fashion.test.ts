import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  DatasetSource,
  formatReport,
  inspectDataset,
  sampleDatasetPath,
  type DatasetIndex,
  type DatasetReport,
} from '../../src/host/datasets';
import { tempFolder, writeFile } from '../fixtures/datasets/generate';
import { fashionDir, loadFashion } from '../helpers/fashion';

/** The dataset service on the real fashion-mnist-small (train/ and test/ folders of 28×28 gray PNGs) and on the sample. */
const CLASSES = ['ankle-boot', 'bag', 'coat', 'dress', 'pullover', 'sandal', 'shirt', 'sneaker', 't-shirt', 'trouser'];

let index: DatasetIndex;
let report: DatasetReport;
beforeAll(async () => {
  // Scanning 6,000 files takes seconds: once for the whole file.
  ({ index, report } = await inspectDataset(fashionDir, { seed: 1 }));
});

describe('fashion-mnist-small', () => {
  it('is read as train/ and test/ folders with a seeded 20% validation split of train', () => {
    expect(index.layout).toBe('splits');
    expect(index.classes).toEqual(CLASSES);
    expect(report.validation).toEqual({ kind: 'split', fraction: 0.2, seed: 1 });
    expect(report.totals).toEqual({ train: 4000, validation: 1000, test: 1000 });
    for (const c of report.classes) expect(c.counts).toEqual({ train: 400, validation: 100, test: 100 });
  });

  it('reports sizes, formats and no problems', () => {
    expect(report.errors).toEqual([]);
    expect(report.skipped).toEqual([]);
    expect(report.ignored.count).toBe(0);
    expect(report.sizes).toEqual({
      width: { min: 28, max: 28, mean: 28 },
      height: { min: 28, max: 28, mean: 28 },
      common: [{ size: '28×28', count: 6000 }],
    });
    expect(report.formats).toEqual({ png: 6000 });
    expect(report.storage).toMatchObject({ grayscale: 6000, colour: 0, alpha: 0, highBitDepth: 0 });
    expect(report.imbalance).toEqual({
      largest: { name: 'ankle-boot', count: 500 },
      smallest: { name: 'ankle-boot', count: 500 },
      ratio: 1,
    });
    // Any duplicate the report names really spans two splits with the same content hash.
    for (const d of report.duplicates) expect(new Set(d.files.map((f) => f.split)).size).toBeGreaterThan(1);
    const text = formatReport(report);
    console.log(text.split('\n').slice(0, 4).join('\n'));
    expect(text).toContain('10 classes; 4000 train, 1000 validation, 1000 test images');
    expect(text).toMatch(/ankle-boot\s+400\s+100\s+100/);
  });

  it('decodes the test split exactly as an independent PNG decoder (pngjs) does', async () => {
    const ours = await DatasetSource.create(index, { height: 28, width: 28, channels: 1 }).load('test');
    const oracle = loadFashion('test');
    expect(ours.x.shape).toEqual(oracle.x.shape);
    expect(ours.labels).toEqual(oracle.labels);
    expect(ours.x.data).toEqual(oracle.x.data);
  });
});

describe('the built-in sample dataset', () => {
  it('is found from source, and is a subset of fashion-mnist-small with 100 train and 20 test images per class', async () => {
    const root = sampleDatasetPath();
    expect(existsSync(join(root, 'README.md'))).toBe(true);
    const sample = await inspectDataset(root);
    expect(sample.index.classes).toEqual(CLASSES);
    expect(sample.report.errors).toEqual([]);
    expect(sample.report.skipped).toEqual([]);
    expect(sample.report.totals).toEqual({ train: 800, validation: 200, test: 200 });
    // Every sample file has the same bytes as the file of the same name in the shared dataset.
    const all = (i: DatasetIndex) => [...i.splits.train, ...i.splits.validation, ...i.splits.test];
    const hashes = new Map(all(index).map((e) => [e.rel, e.hash]));
    const files = all(sample.index);
    expect(files).toHaveLength(1200);
    for (const e of files) expect(hashes.get(e.rel)).toBe(e.hash);
  });

  it('in a packaged app, is found in the resources folder beside app.asar', () => {
    const resources = tempFolder('resources');
    try {
      writeFile(join(resources.path, 'sample', 'README.md'), 'sample');
      expect(sampleDatasetPath(resources.path)).toBe(join(resources.path, 'sample'));
      // Without it there, the copy beside the sources is found.
      expect(sampleDatasetPath(join(resources.path, 'elsewhere'))).toBe(sampleDatasetPath());
    } finally {
      resources.remove();
    }
  });
});
