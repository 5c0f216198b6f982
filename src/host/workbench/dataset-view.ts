import { tensor } from '../../engine';
import {
  augmentationPreview,
  defaultCacheBytes,
  inspectScanned,
  PixelCache,
  scanDataset,
  type DatasetIndex,
  type DatasetReport,
} from '../datasets';
import { decodeToInput } from '../datasets/decode';
import type { ImageEntry, InputSpec } from '../datasets/types';
import type { AugmentPreview, AugmentSettings, DatasetReportView, Thumbnails } from '../../shared/training';
import { pngDataUrl } from './images';
import { TrustedDatasets } from './trusted';

/** Skipped files and duplicate groups listed in the report; the warnings give the full counts. */
const LIST_CAP = 200;
/** Thumbnails fit in a square of this many pixels. */
const THUMBNAIL_SIZE = 64;
/** The augmentation preview shows this many images, each beside this many augmented copies. */
const PREVIEW_IMAGES = 4;
const PREVIEW_COPIES = 7;
const PREVIEW_SIZE = 48;

/** The host's report as the Data view shows it: plain JSON, long lists capped. */
export function reportView(report: DatasetReport, sample: boolean): DatasetReportView {
  return {
    source: sample ? 'sample' : 'folder',
    root: report.root,
    layout: report.layout,
    validationFrom: report.validation.kind,
    classes: report.classes.map((c) => ({ name: c.name, label: c.label, counts: { ...c.counts } })),
    totals: { ...report.totals },
    sizes: report.sizes
      ? { width: report.sizes.width, height: report.sizes.height, common: [...report.sizes.common] }
      : null,
    formats: { ...report.formats },
    storage: { grayscale: report.storage.grayscale, colour: report.storage.colour },
    skipped: report.skipped.slice(0, LIST_CAP).map((s) => ({ rel: s.rel, kind: s.kind, reason: s.reason })),
    skippedTotal: report.skipped.length,
    ignored: { count: report.ignored.count, examples: [...report.ignored.examples] },
    imbalance: report.imbalance,
    duplicates: report.duplicates.slice(0, LIST_CAP).map((d) => ({ files: d.files.map((f) => ({ ...f })) })),
    errors: [...report.errors],
    warnings: [...report.warnings],
  };
}

/**
 * The last datasets scanned, so that the report, the thumbnails, the preview and training of one folder scan it
 * once, and the images a run decoded, so that the next run on the same folder and input size decodes none.
 * A new choice of folder (or "Rescan") calls `forget` first.
 */
export class DatasetCache {
  /** Scans (before any validation split), by folder. */
  private readonly scans = new Map<string, Promise<DatasetIndex>>();
  private readonly reports = new Map<string, Promise<{ index: DatasetIndex; report: DatasetReport }>>();
  /** The decoded images of the last folder and input size trained on (one set: they can be large). */
  private pixelCache: { key: string; root: string; cache: PixelCache } | null = null;

  constructor(
    private readonly capacity = 2,
    /** See ScanOptions.within: the browser mode's root. */
    private readonly within?: string,
  ) {}

  /** The folder scanned once (files probed, nothing split yet); `onProgress` hears of a scan this call starts. */
  scan(root: string, onProgress?: (done: number, total: number) => void): Promise<DatasetIndex> {
    let entry = this.scans.get(root);
    if (!entry) {
      const within = TrustedDatasets.confinement(root, this.within);
      entry = scanDataset(root, {
        ...(within === undefined ? {} : { within }),
        ...(onProgress ? { onProgress } : {}),
      });
      // A failed scan is not kept: the next request tries again (the folder may be back).
      entry.catch(() => this.scans.delete(root));
      keep(this.scans, root, entry, this.capacity);
    }
    return entry;
  }

  inspect(root: string, validationFraction: number): Promise<{ index: DatasetIndex; report: DatasetReport }> {
    const key = `${validationFraction}\u0000${root}`;
    let entry = this.reports.get(key);
    if (!entry) {
      entry = this.scan(root).then((scanned) => inspectScanned(scanned, { validationFraction }));
      entry.catch(() => this.reports.delete(key));
      keep(this.reports, key, entry, this.capacity);
    }
    return entry;
  }

  /**
   * The cache of decoded images for training on `root` at this input size: the same one run after run, so that
   * images are decoded once. Another folder or size replaces it.
   */
  pixels(root: string, input: InputSpec, budget = defaultCacheBytes()): PixelCache {
    const key = `${input.channels}×${input.height}×${input.width} ${input.resize ?? 'stretch'}\u0000${root}`;
    if (this.pixelCache?.key !== key) this.pixelCache = { key, root, cache: new PixelCache(budget) };
    return this.pixelCache.cache;
  }

  forget(root: string): void {
    this.scans.delete(root);
    for (const key of [...this.reports.keys()]) if (key.endsWith(`\u0000${root}`)) this.reports.delete(key);
    if (this.pixelCache?.root === root) this.pixelCache = null;
  }
}

/** Adds an entry, dropping the oldest past `capacity`. */
function keep<V>(map: Map<string, V>, key: string, value: V, capacity: number): void {
  map.set(key, value);
  while (map.size > capacity) map.delete(map.keys().next().value!);
}

/** Decodes one image into [C, H, W] values in [0, 1]; null when it can no longer be read (moved since the scan). */
async function decode(entry: ImageEntry, input: InputSpec, maxPixels: number): Promise<Float32Array | null> {
  try {
    const bytes = await decodeToInput(entry, input, maxPixels);
    return Float32Array.from(bytes, (b) => b / 255);
  } catch {
    return null;
  }
}

/** Grayscale images stay gray; anything with colour is shown in colour. */
const channelsOf = (entries: readonly ImageEntry[]): 1 | 3 => (entries.some((e) => e.channels >= 3) ? 3 : 1);

/** The first `perClass` training images of every class, fitted in a small square. */
export async function thumbnails(index: DatasetIndex, perClass: number): Promise<Thumbnails> {
  const byClass = index.classes.map(() => [] as ImageEntry[]);
  for (const e of index.splits.train) if (byClass[e.label].length < perClass) byClass[e.label].push(e);
  const classes = await Promise.all(
    byClass.map(async (entries, label) => {
      const images = await Promise.all(
        entries.map(async (e) => {
          const channels = channelsOf([e]);
          const input: InputSpec = { height: THUMBNAIL_SIZE, width: THUMBNAIL_SIZE, channels, resize: 'fit' };
          const data = await decode(e, input, index.limits.maxPixels);
          if (!data) return null;
          return { file: e.rel, png: await pngDataUrl(tensor([channels, THUMBNAIL_SIZE, THUMBNAIL_SIZE], data)) };
        }),
      );
      return { name: index.classes[label], images: images.filter((i) => i !== null) };
    }),
  );
  return { classes };
}

/** One training image from each of a few classes, spread over the classes, each beside seeded augmented copies. */
export async function augmentPreview(
  index: DatasetIndex,
  augment: AugmentSettings,
  seed: number,
): Promise<AugmentPreview> {
  const firstOf = new Map<number, ImageEntry>();
  for (const e of index.splits.train) if (!firstOf.has(e.label)) firstOf.set(e.label, e);
  const labels = [...firstOf.keys()].sort((a, b) => a - b);
  if (labels.length === 0) throw new Error(`${index.root} has no training images to preview`);
  const step = Math.max(1, Math.floor(labels.length / PREVIEW_IMAGES));
  const picked = labels
    .filter((_, i) => i % step === 0)
    .slice(0, PREVIEW_IMAGES)
    .map((l) => firstOf.get(l)!);
  const channels = channelsOf(picked);
  const input: InputSpec = { height: PREVIEW_SIZE, width: PREVIEW_SIZE, channels, resize: 'fit' };
  const decoded = (await Promise.all(picked.map((e) => decode(e, input, index.limits.maxPixels)))).filter(
    (d) => d !== null,
  );
  if (decoded.length === 0) throw new Error(`the images of ${index.root} can no longer be read; scan it again`);
  const per = channels * PREVIEW_SIZE * PREVIEW_SIZE;
  const x = tensor([decoded.length, channels, PREVIEW_SIZE, PREVIEW_SIZE]);
  decoded.forEach((d, i) => x.data.set(d, i * per));
  const grid = augmentationPreview(x, augment, { copies: PREVIEW_COPIES, seed });
  return { png: await pngDataUrl(grid), rows: decoded.length, columns: PREVIEW_COPIES + 1 };
}
