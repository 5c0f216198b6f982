import { availableParallelism } from 'node:os';
import { basename, resolve } from 'node:path';
import { Limiter } from './limiter';
import { probeFile, type ProbeLimits } from './probe';
import { SPLITS, type DatasetIndex, type ImageEntry, type SkippedFile, type SplitName } from './types';
import { byCodePoint, walkDataset } from './walk';

/** Options of `scanDataset`. */
export interface ScanOptions {
  /** Images declaring more pixels are skipped as too large, without being decoded. Default 128 megapixels. */
  maxPixels?: number;
  /** Files larger than this are skipped as too large, without being read. Default 256 MiB. */
  maxFileBytes?: number;
  /** Files probed at the same time. Default: twice the core count. */
  concurrency?: number;
  /** Called as files are probed, for a progress bar. */
  onProgress?: (done: number, total: number) => void;
  /**
   * A real folder every image must lie in once links are followed: the browser mode's --root, so that a link
   * inside a dataset cannot bring a file from elsewhere into its thumbnails or galleries. Others are skipped.
   */
  within?: string;
}

/**
 * Above the 100-megapixel photos of medium-format cameras (which decode downscaled, streaming, in bounded memory),
 * far below a decompression bomb's billions.
 */
export const DEFAULT_MAX_PIXELS = 128_000_000;
export const DEFAULT_MAX_FILE_BYTES = 256 * 2 ** 20;

/** How many ignored file names the index keeps as examples. */
const IGNORED_EXAMPLES = 10;

/**
 * Scans a dataset folder: one subfolder per class, or train/ with test/ and/or val/ (validation/) folders that
 * each hold the class folders. Every file is opened and checked (see `probeFile`); what cannot train is listed in
 * `skipped` with its reason. Throws a `DatasetError` only when the folder itself is missing or unreadable: content
 * problems (no classes, an empty class) are left to `datasetProblems`, so that a report can still be shown.
 */
export async function scanDataset(root: string, options: ScanOptions = {}): Promise<DatasetIndex> {
  const absRoot = resolve(root);
  const limits: ProbeLimits = {
    maxPixels: options.maxPixels ?? DEFAULT_MAX_PIXELS,
    maxFileBytes: options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
    ...(options.within === undefined ? {} : { within: options.within }),
  };
  const walk = await walkDataset(absRoot);
  const classes = [...new Set(SPLITS.flatMap((s) => walk.classFolders[s]))].sort(byCodePoint);
  const labelOf = new Map(classes.map((c, i) => [c, i]));

  const splits: Record<SplitName, ImageEntry[]> = { train: [], validation: [], test: [] };
  const skipped: SkippedFile[] = [...walk.skipped];
  const ignored: string[] = [...walk.hidden];
  const limiter = new Limiter(options.concurrency ?? 2 * availableParallelism());
  const total = walk.files.length + walk.loose.length;
  let done = 0;
  const progress = () => options.onProgress?.(++done, total);

  const probes = walk.files.map((f) =>
    limiter.run(async () => {
      const r = await probeFile(f.path, basename(f.path), limits);
      progress();
      if (r.kind === 'image') {
        const { kind: _, ...image } = r;
        splits[f.split].push({ path: f.path, rel: f.rel, split: f.split, label: labelOf.get(f.className)!, ...image });
      } else if (r.kind === 'skipped') {
        skipped.push({ path: f.path, rel: f.rel, kind: r.skip, reason: r.reason, className: f.className });
      } else ignored.push(f.rel);
    }),
  );
  // Files beside the class folders: an image there is reported (it belongs to no class), anything else ignored.
  const looseProbes = walk.loose.map((f) =>
    limiter.run(async () => {
      const r = await probeFile(f.path, basename(f.path), limits);
      progress();
      if (r.kind === 'ignored') ignored.push(f.rel);
      else if (r.kind === 'skipped') skipped.push({ path: f.path, rel: f.rel, kind: r.skip, reason: r.reason });
      else skipped.push({ path: f.path, rel: f.rel, kind: 'outside-class', reason: 'image is not in a class folder' });
    }),
  );
  await Promise.all([...probes, ...looseProbes]);

  // Probes finish in any order; sorting makes the index (and so labels, splits and batches) reproducible.
  for (const s of SPLITS) splits[s].sort((a, b) => byCodePoint(a.rel, b.rel));
  skipped.sort((a, b) => byCodePoint(a.rel, b.rel));
  ignored.sort(byCodePoint);
  return {
    root: absRoot,
    layout: walk.layout,
    classes,
    splits,
    classFolders: walk.classFolders,
    validation: walk.classFolders.validation.length > 0 ? { kind: 'folder' } : { kind: 'none' },
    skipped,
    ignored: { count: ignored.length, examples: ignored.slice(0, IGNORED_EXAMPLES) },
    limits,
  };
}
