import { reshape, Rng, tensor, type CompiledGraph, type Examples, type Tensor } from '../../engine';
import {
  augment,
  augments,
  DatasetSource,
  type AugmentOptions,
  type DatasetBatch,
  type DatasetIndex,
  type InputSpec,
  type SourceOptions,
} from '../datasets';

/** Training images whose accuracy is reported each epoch (measured in inference mode after the epoch). */
export const TRAIN_ACCURACY_SAMPLE = 2000;

/**
 * Where a TrainingSession's examples come from: an image folder (FolderData) or tensors already in memory
 * (TensorData: the benchmarks, the tests, the seed's worked examples). The session's one loop asks for
 * nothing else, so every way of training runs the same loop.
 */
export interface TrainingData {
  /** Where the examples come from, as messages name it (a folder's path). */
  readonly origin: string;
  readonly classes: readonly string[];
  /** Images in the training split; the epoch has ceil(trainCount / batch) steps. */
  readonly trainCount: number;
  readonly validationCount: number;
  /**
   * The training split in batches of the network's input shape, in an order the generator shuffles, augmented
   * with it when asked. The next batch is prepared while the caller trains on this one.
   */
  batches(batchSize: number, rng: Rng, augment?: AugmentOptions): AsyncGenerator<Examples>;
  /**
   * Optional: takes back a batch from batches() that the loop will not read again (after its step), so that later
   * batches reuse its buffers rather than leave dropped ones for the garbage collector (datasets/spare.ts).
   */
  release?(batch: Examples): void;
  /**
   * The whole validation split, in a fixed order, with the files the images came from (when there are files);
   * `onProgress` hears how many are loaded, when loading takes a while.
   */
  validation(onProgress?: (done: number, total: number) => void): Promise<DatasetBatch>;
  /** A fixed, seeded subset of the training split (at most TRAIN_ACCURACY_SAMPLE images) for the training accuracy. */
  trainSample(seed: number): Promise<DatasetBatch>;
}

/** Images arrive as [N, C, H, W]; a network with a flat-vector input takes the same values as [N, C·H·W]. */
function asInput<T extends Examples>(graph: CompiledGraph, b: T): T {
  return { ...b, x: reshape(b.x, [b.x.shape[0], ...graph.inputShape]) };
}

/** A scanned (and split) image folder, decoded through a DatasetSource: cached in memory, streamed past its budget. */
export class FolderData implements TrainingData {
  private readonly source: DatasetSource;

  constructor(
    readonly index: DatasetIndex,
    private readonly graph: CompiledGraph,
    input: InputSpec,
    options: SourceOptions = {},
  ) {
    this.source = DatasetSource.create(index, input, options);
  }

  get origin(): string {
    return this.index.root;
  }

  get classes(): readonly string[] {
    return this.index.classes;
  }

  get trainCount(): number {
    return this.source.count('train');
  }

  get validationCount(): number {
    return this.source.count('validation');
  }

  async *batches(batchSize: number, rng: Rng, augmentWith?: AugmentOptions): AsyncGenerator<Examples> {
    const options = augmentWith ? { rng, augment: augmentWith } : { rng };
    for await (const b of this.source.batches('train', batchSize, options)) yield asInput(this.graph, b);
  }

  release(batch: Examples): void {
    this.source.release(batch.x);
  }

  async validation(onProgress?: (done: number, total: number) => void): Promise<DatasetBatch> {
    return asInput(this.graph, await this.source.load('validation', onProgress));
  }

  async trainSample(seed: number): Promise<DatasetBatch> {
    if (this.trainCount <= TRAIN_ACCURACY_SAMPLE) return asInput(this.graph, await this.source.load('train'));
    const it = this.source.batches('train', TRAIN_ACCURACY_SAMPLE, { rng: new Rng(seed + 1) });
    const first = await it.next();
    await it.return?.(undefined);
    return asInput(this.graph, first.value as DatasetBatch);
  }
}

/**
 * Examples already in memory, in the network's input shape. Batches are copies (augmentation, when asked, works
 * on [N, C, H, W] images); the arrays given are never changed.
 */
export class TensorData implements TrainingData {
  readonly origin = 'the examples given';

  constructor(
    private readonly train: Examples,
    private readonly held: Examples,
    readonly classes: readonly string[],
  ) {
    for (const [name, e] of [
      ['training', train],
      ['validation', held],
    ] as const) {
      if (e.x.shape[0] !== e.labels.length) {
        throw new Error(`the ${name} examples have ${e.x.shape[0]} inputs but ${e.labels.length} labels`);
      }
    }
  }

  get trainCount(): number {
    return this.train.labels.length;
  }

  get validationCount(): number {
    return this.held.labels.length;
  }

  async *batches(batchSize: number, rng: Rng, augmentWith?: AugmentOptions): AsyncGenerator<Examples> {
    // As DatasetSource refuses it for a folder: a batch of 0 would step on empty batches for ever.
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new Error(`The batch size must be a whole number of at least 1, got ${batchSize}`);
    }
    const n = this.trainCount;
    const order = Int32Array.from({ length: n }, (_, i) => i);
    rng.shuffle(order);
    for (let s = 0; s < n; s += batchSize) {
      const picked = order.subarray(s, Math.min(n, s + batchSize));
      const x = gather(this.train.x, picked);
      yield {
        x: augmentWith && augments(augmentWith) && x.shape.length === 4 ? augment(x, augmentWith, rng) : x,
        labels: Int32Array.from(picked, (i) => this.train.labels[i]),
      };
    }
  }

  validation(): Promise<DatasetBatch> {
    return Promise.resolve({ ...this.held, files: [] });
  }

  trainSample(seed: number): Promise<DatasetBatch> {
    const n = this.trainCount;
    if (n <= TRAIN_ACCURACY_SAMPLE) return Promise.resolve({ ...this.train, files: [] });
    const order = Int32Array.from({ length: n }, (_, i) => i);
    new Rng(seed + 1).shuffle(order);
    const picked = order.subarray(0, TRAIN_ACCURACY_SAMPLE);
    return Promise.resolve({
      x: gather(this.train.x, picked),
      labels: Int32Array.from(picked, (i) => this.train.labels[i]),
      files: [],
    });
  }
}

/** The rows of x at `rows`, copied into a new tensor. */
function gather(x: Tensor, rows: Int32Array): Tensor {
  const per = x.data.length / x.shape[0];
  const out = tensor([rows.length, ...x.shape.slice(1)]);
  rows.forEach((r, i) => out.data.set(x.data.subarray(r * per, (r + 1) * per), i * per));
  return out;
}
