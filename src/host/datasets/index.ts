/**
 * The dataset service: image folders in, batches of the model's input out. Node only (fs, sharp), no Electron, so
 * the desktop app, the browser mode and the command line share it.
 *
 *   inspectDataset(root)          → { index, report }  for the Data view and `convas data` (never throws on content)
 *   openDataset(root)             → index, or a DatasetError naming the folder or class at fault
 *   DatasetSource.create(index, input, options).batches('train', 32, { rng, augment })
 *   formatReport(report)          → text for the command line
 *   augmentationPreview(x, options) → a grid of augmented samples; encodePng(grid) → PNG bytes
 *   sampleDatasetPath()           → the built-in sample, when no folder is given
 */
export { augment, augments, checkAugmentOptions, type AugmentOptions } from './augment';
export { PixelCache } from './cache';
export { assertTrainable, datasetProblems, type DatasetProblem } from './checks';
export { DatasetError } from './errors';
export { formatReport } from './format';
export { inspectDataset, inspectScanned, openDataset, openScanned, type OpenOptions } from './open';
export { augmentationPreview, encodePng, type PreviewOptions } from './preview';
export { datasetReport, type ClassCount, type DatasetReport, type DuplicateGroup, type Range } from './report';
export { sampleDatasetPath } from './sample';
export { DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_PIXELS, scanDataset, type ScanOptions } from './scan';
export { sniffFormat } from './sniff';
export {
  DatasetSource,
  defaultCacheBytes,
  loadSplit,
  type BatchOptions,
  type CacheStats,
  type DatasetBatch,
  type SourceOptions,
} from './source';
export { DEFAULT_VALIDATION_FRACTION, splitTrainValidation } from './split';
export * from './types';
