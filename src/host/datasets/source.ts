import { totalmem } from 'node:os';
import type { Rng } from '../../engine/rng';
import { tensor, type Tensor } from '../../engine/tensor';
import type { Examples } from '../../engine/train';
import { augment, augments, checkAugmentOptions, type AugmentOptions } from './augment';
import { PixelCache } from './cache';
import { assertTrainable } from './checks';
import { decodeToInput } from './decode';
import { DatasetError } from './errors';
import { Limiter } from './limiter';
import { SpareBuffers } from './spare';
import type { DatasetIndex, ImageEntry, InputSpec, Normalization, SplitName } from './types';

/** Options of a `DatasetSource`. */
export interface SourceOptions {
  /** Bytes of decoded images kept in memory across epochs. Default: a quarter of the machine's RAM. */
  cacheBytes?: number;
  /**
   * Decoded images to use and fill, kept by the caller beyond this source (the app keeps one per folder and input
   * size, so that the next run decodes nothing). Its keys are file paths: give it to sources of one input size only.
   */
  cache?: PixelCache;
  /**
   * false (the default): values stay in [0, 1]. true: subtract the per-channel mean and divide by the standard
   * deviation of the training split. An object: use these statistics (from a checkpoint, say).
   */
  normalize?: boolean | Normalization;
  /** Pixel cap passed to the decoder. Default: the cap the scan applied. */
  maxPixels?: number;
  /**
   * Decodes queued at once. They wait in libuv's thread pool, which works through them even while the JS thread
   * is busy with a training step, so this many images are decoded ahead in the background. Queued jobs hold no
   * pixels until a pool thread takes them, so memory stays bounded by the pool's few threads. Default 64.
   */
  decodeAhead?: number;
}

/** Options of `DatasetSource.batches`. */
export interface BatchOptions {
  /** Shuffles the order (and drives augmentation) when given; without it batches follow the sorted file order. */
  rng?: Rng;
  /** Random changes applied to each image; needs `rng`. */
  augment?: AugmentOptions;
  /** Leave out a last, smaller batch. */
  dropLast?: boolean;
}

/** A batch of examples plus the files they came from (relative paths), for the UI. */
export interface DatasetBatch extends Examples {
  readonly files: readonly string[];
}

/** Cache figures, for the UI and for tests. */
export interface CacheStats {
  readonly budget: number;
  readonly bytes: number;
  readonly images: number;
  readonly hits: number;
  readonly misses: number;
}

/** The default budget of decoded images: a quarter of the machine's memory; past it, batches stream from disk. */
export function defaultCacheBytes(): number {
  return Math.floor(totalmem() / 4);
}

/** Images summed per step while computing the normalisation statistics. */
const STATS_CHUNK = 64;

/**
 * Serves a scanned dataset to training as batches of the model's input [N, C, H, W]: decoded images are cached
 * in memory up to a byte budget, and beyond it each batch is decoded from disk while the previous one trains.
 * Batches are identical whether they came from the cache or from disk.
 */
export class DatasetSource {
  private readonly cache: PixelCache;
  private readonly limiter: Limiter;
  private readonly maxPixels: number;
  private stats: Promise<Normalization | null> | null = null;
  /** Batch buffers given back through release(), which the next batches reuse. */
  private readonly spare = new SpareBuffers();

  private constructor(
    readonly index: DatasetIndex,
    readonly input: InputSpec,
    private readonly options: SourceOptions,
  ) {
    this.cache = options.cache ?? new PixelCache(options.cacheBytes ?? defaultCacheBytes());
    this.limiter = new Limiter(options.decodeAhead ?? 64);
    this.maxPixels = options.maxPixels ?? index.limits.maxPixels;
  }

  /** Checks the dataset can train (see `assertTrainable`) and the input shape is sane; throws a `DatasetError` if not. */
  static create(index: DatasetIndex, input: InputSpec, options: SourceOptions = {}): DatasetSource {
    assertTrainable(index);
    checkInput(input);
    if (typeof options.normalize === 'object') checkNormalization(options.normalize, input.channels);
    return new DatasetSource(index, input, options);
  }

  get classes(): readonly string[] {
    return this.index.classes;
  }

  count(split: SplitName): number {
    return this.index.splits[split].length;
  }

  cacheStats(): CacheStats {
    const c = this.cache;
    return { budget: c.budget, bytes: c.bytes, images: c.size, hits: c.hits, misses: c.misses };
  }

  /** The normalisation in use, computed from the training split on first call (null when off). */
  normalization(): Promise<Normalization | null> {
    const n = this.options.normalize;
    if (!n) return Promise.resolve(null);
    if (typeof n === 'object') return Promise.resolve(n);
    this.stats ??= this.computeStats();
    return this.stats;
  }

  /**
   * The split's images in batches of `batchSize`, shuffled and augmented by `rng` when given. The next batch is
   * decoded while the caller works on this one.
   */
  async *batches(split: SplitName, batchSize: number, options: BatchOptions = {}): AsyncGenerator<DatasetBatch> {
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new DatasetError(`The batch size must be a whole number of at least 1, got ${batchSize}`);
    }
    if (options.augment) {
      checkAugmentOptions(options.augment);
      if (!options.rng && augments(options.augment)) {
        throw new DatasetError('Augmentation needs a seeded generator (rng)');
      }
    }
    const entries = this.index.splits[split];
    const order = Int32Array.from(entries, (_, i) => i);
    options.rng?.shuffle(order);
    const norm = await this.normalization();
    const starts: number[] = [];
    for (let s = 0; s < order.length; s += batchSize) {
      if (!options.dropLast || s + batchSize <= order.length) starts.push(s);
    }
    const fetch = (k: number) => {
      const picked = Array.from(order.subarray(starts[k], starts[k] + batchSize), (i) => entries[i]);
      const pending = this.assemble(picked);
      // If the caller stops early, nobody awaits the batch decoded ahead; its failure must not go unhandled.
      pending.catch(() => undefined);
      return pending;
    };
    let next = starts.length > 0 ? fetch(0) : null;
    for (let k = 0; k < starts.length; k++) {
      const batch = await next!;
      next = k + 1 < starts.length ? fetch(k + 1) : null;
      // Augmentation draws from rng here, in batch order, never inside the concurrent decodes: same seed, same batches.
      let x = batch.x;
      if (options.augment && options.rng) {
        x = augment(batch.x, options.augment, options.rng, this.spare.take(batch.x.data.length));
        this.spare.give(batch.x.data); // the decoded batch itself is never handed out
      }
      if (norm) normalizeInPlace(x.data, norm, this.input.height * this.input.width);
      yield { ...batch, x };
    }
  }

  /**
   * Gives a batch's pixels back once nothing reads them any more (the training loop does after the step that used
   * them), for the next batches to reuse instead of allocating (spare.ts). Optional: a batch never given back is
   * never reused. It must not be read afterwards.
   */
  release(x: Tensor): void {
    this.spare.give(x.data);
  }

  /** A whole split as one set of examples, in sorted file order (for validation and test); `onProgress` hears of each batch. */
  async load(split: SplitName, onProgress?: (done: number, total: number) => void): Promise<DatasetBatch> {
    const { height, width, channels } = this.input;
    const n = this.count(split);
    const x = tensor([n, channels, height, width]);
    const labels = new Int32Array(n);
    const files: string[] = [];
    let at = 0;
    for await (const b of this.batches(split, 256)) {
      x.data.set(b.x.data, at * channels * height * width);
      labels.set(b.labels, at);
      files.push(...b.files);
      at += b.labels.length;
      onProgress?.(at, n);
    }
    return { x, labels, files };
  }

  /**
   * The first `perClass` images of each class in a split (in file order), class by class, with values in [0, 1]
   * (never normalised: they are for people to look at). The strip of samples the Data view shows and feeds to
   * `augmentationPreview`.
   */
  async examples(split: SplitName, perClass = 1): Promise<DatasetBatch> {
    const taken = new Array<number>(this.classes.length).fill(0);
    const picked = this.index.splits[split]
      .filter((e) => taken[e.label]++ < perClass)
      .sort((a, b) => a.label - b.label);
    return this.assemble(picked);
  }

  /** Decoded pixels of one image, from the cache or from disk. */
  private async pixels(entry: ImageEntry): Promise<Uint8Array> {
    const cached = this.cache.get(entry.path);
    if (cached) return cached;
    let px: Uint8Array;
    try {
      px = await this.limiter.run(() => decodeToInput(entry, this.input, this.maxPixels));
    } catch (e) {
      const className = this.index.classes[entry.label];
      throw new DatasetError(
        `Could not read "${entry.rel}" (class "${className}") during training: ${(e as Error).message}. It was readable when the dataset was scanned; was the folder moved, removed or changed? Scan the dataset again.`,
        entry.path,
        className,
      );
    }
    this.cache.offer(entry.path, px);
    return px;
  }

  /** Decodes (or fetches) the images and scales them to [0, 1]. */
  private async assemble(entries: ImageEntry[]): Promise<DatasetBatch> {
    const { height, width, channels } = this.input;
    const per = channels * height * width;
    const all = await Promise.all(entries.map((e) => this.pixels(e)));
    // Every value is written below, so a spare buffer's old values never show.
    const x = tensor([entries.length, channels, height, width], this.spare.take(entries.length * per));
    all.forEach((px, i) => {
      for (let j = 0; j < per; j++) x.data[i * per + j] = px[j] / 255;
    });
    return { x, labels: Int32Array.from(entries, (e) => e.label), files: entries.map((e) => e.rel) };
  }

  private async computeStats(): Promise<Normalization> {
    const { channels } = this.input;
    const plane = this.input.height * this.input.width;
    // Sums of bytes and squared bytes are whole numbers: exact in float64 for any realistic dataset.
    const sum = new Float64Array(channels);
    const squares = new Float64Array(channels);
    const train = this.index.splits.train;
    for (let s = 0; s < train.length; s += STATS_CHUNK) {
      for (const px of await Promise.all(train.slice(s, s + STATS_CHUNK).map((e) => this.pixels(e)))) {
        for (let c = 0; c < channels; c++) {
          for (let p = c * plane; p < (c + 1) * plane; p++) {
            sum[c] += px[p];
            squares[c] += px[p] * px[p];
          }
        }
      }
    }
    const count = train.length * plane;
    const mean = Array.from(sum, (s) => s / count / 255);
    const std = Array.from(squares, (q, c) => {
      const sd = Math.sqrt(Math.max(0, q / count / 255 ** 2 - mean[c] ** 2));
      // A constant channel has no spread to divide by; leave its scale alone.
      return sd > 1e-6 ? sd : 1;
    });
    return { mean, std };
  }
}

function normalizeInPlace(data: Float32Array, norm: Normalization, plane: number): void {
  const channels = norm.mean.length;
  for (let start = 0; start < data.length; start += plane) {
    const c = (start / plane) % channels;
    const m = norm.mean[c];
    const s = norm.std[c];
    for (let p = start; p < start + plane; p++) data[p] = (data[p] - m) / s;
  }
}

function checkInput(input: InputSpec): void {
  const { height, width, channels, resize } = input;
  for (const [name, v] of [
    ['height', height],
    ['width', width],
  ] as const) {
    if (!Number.isInteger(v) || v < 1 || v > 4096) {
      throw new DatasetError(`The input ${name} must be a whole number from 1 to 4096, got ${v}`);
    }
  }
  if (channels !== 1 && channels !== 3) throw new DatasetError(`The input must have 1 or 3 channels, got ${channels}`);
  if (resize !== undefined && !['stretch', 'fit', 'crop'].includes(resize)) {
    throw new DatasetError(`The resize mode must be stretch, fit or crop, got "${resize}"`);
  }
}

function checkNormalization(n: Normalization, channels: number): void {
  if (n.mean.length !== channels || n.std.length !== channels) {
    throw new DatasetError(
      `The normalisation has ${n.mean.length} means and ${n.std.length} deviations; the input has ${channels} channels`,
    );
  }
  if (![...n.mean, ...n.std].every(Number.isFinite) || n.std.some((s) => s <= 0)) {
    throw new DatasetError('The normalisation must have finite means and positive deviations');
  }
}

/** Loads a whole split of a scanned dataset as examples (a shortcut for small datasets and tests). */
export async function loadSplit(
  index: DatasetIndex,
  split: SplitName,
  input: InputSpec,
  options: SourceOptions = {},
): Promise<DatasetBatch> {
  return DatasetSource.create(index, input, options).load(split);
}
