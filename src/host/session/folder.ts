import type { CompiledGraph } from '../../engine';
import type { TrainingPlan } from '../../shared/api';
import { openDataset, openScanned, sampleDatasetPath, type DatasetIndex, type PixelCache } from '../datasets';
import { inputSpecOf } from '../inference/model';
import { FolderData } from './data';

/** Where a run's images are, and what is already known of them. */
export interface FolderOptions {
  /** An image folder; null for the built-in sample. */
  root: string | null;
  /**
   * The folder as it was scanned for the Data view, so that training does not read every file's header again
   * (the validation split is still drawn from the plan's seed).
   */
  scanned?: DatasetIndex;
  /** Decoded images kept from an earlier run on the same folder and input size, which this run fills further. */
  cache?: PixelCache;
  /** Budget of a new cache (when `cache` is not given). */
  cacheBytes?: number;
  /** See ScanOptions.within: the browser mode's root, which no image may lie outside. */
  within?: string;
  /** Files probed so far, while the folder is scanned. */
  onScan?: (done: number, total: number) => void;
}

/**
 * The plan's image folder as TrainingData: scanned (or taken from the scan given), checked, split off for
 * validation with the plan's seed, and decoded to the network's input size through the cache given.
 * Throws a DatasetError naming the folder or class at fault when it cannot train.
 */
export async function openFolder(plan: TrainingPlan, compiled: CompiledGraph, o: FolderOptions): Promise<FolderData> {
  const root = o.root ?? sampleDatasetPath();
  const split = { validationFraction: plan.data.validationFraction, seed: plan.hyper.seed };
  const index = o.scanned
    ? openScanned(o.scanned, split)
    : await openDataset(root, {
        ...split,
        ...(o.within === undefined ? {} : { within: o.within }),
        ...(o.onScan ? { onProgress: o.onScan } : {}),
      });
  return new FolderData(index, compiled, inputSpecOf(compiled, plan.data.resize), {
    ...(o.cache ? { cache: o.cache } : {}),
    ...(o.cacheBytes === undefined ? {} : { cacheBytes: o.cacheBytes }),
  });
}
