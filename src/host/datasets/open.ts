import { assertTrainable } from './checks';
import { datasetReport, type DatasetReport } from './report';
import { scanDataset, type ScanOptions } from './scan';
import {
  checkValidationFraction,
  classesTooSmallToSplit,
  DEFAULT_VALIDATION_FRACTION,
  splitTrainValidation,
  tooSmallError,
} from './split';
import type { DatasetIndex } from './types';

/** Options of `openDataset` and `inspectDataset`: the scan's, plus the validation split's. */
export interface OpenOptions extends ScanOptions {
  /** Share of each class held out for validation when there is no val/ folder. Default 0.2; 0 for none. */
  validationFraction?: number;
  /** Seed of the validation split. Default 1. */
  seed?: number;
}

/**
 * Scans a folder and splits off validation, for the Data view and the command line. Content problems (no
 * classes, an empty class, classes too small to split) become the report's errors instead of throwing, so the
 * user sees all of them at once. Throws a `DatasetError` only when the folder is missing or unreadable, or an
 * option is out of range.
 */
export async function inspectDataset(
  root: string,
  options: OpenOptions = {},
): Promise<{ index: DatasetIndex; report: DatasetReport }> {
  checkValidationFraction(options.validationFraction ?? DEFAULT_VALIDATION_FRACTION);
  return inspectScanned(await scanDataset(root, options), options);
}

/** inspectDataset on a folder already scanned (scanDataset's index, before any split): nothing is read again. */
export function inspectScanned(
  scanned: DatasetIndex,
  options: Pick<OpenOptions, 'validationFraction' | 'seed'> = {},
): { index: DatasetIndex; report: DatasetReport } {
  const fraction = options.validationFraction ?? DEFAULT_VALIDATION_FRACTION;
  checkValidationFraction(fraction);
  const tooSmall = scanned.validation.kind === 'folder' || fraction === 0 ? [] : classesTooSmallToSplit(scanned);
  if (tooSmall.length === 0) {
    const index = splitTrainValidation(scanned, fraction, options.seed ?? 1);
    return { index, report: datasetReport(index) };
  }
  // Classes with no image at all are already errors of their own (see datasetProblems); name the ones with one.
  const errors = tooSmall
    .filter((label) => scanned.splits.train.some((e) => e.label === label))
    .map((label) => tooSmallError(scanned, label, 1).message);
  return { index: scanned, report: datasetReport(scanned, errors) };
}

/**
 * Scans a folder, checks it can train and splits off validation, for training: throws a `DatasetError` naming the
 * folder or class at fault when it cannot.
 */
export async function openDataset(root: string, options: OpenOptions = {}): Promise<DatasetIndex> {
  return openScanned(await scanDataset(root, options), options);
}

/** openDataset on a folder already scanned (scanDataset's index, before any split): nothing is read again. */
export function openScanned(
  scanned: DatasetIndex,
  options: Pick<OpenOptions, 'validationFraction' | 'seed'> = {},
): DatasetIndex {
  assertTrainable(scanned);
  return splitTrainValidation(scanned, options.validationFraction ?? DEFAULT_VALIDATION_FRACTION, options.seed ?? 1);
}
