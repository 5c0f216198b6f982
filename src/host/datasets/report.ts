import { datasetProblems } from './checks';
import { SPLITS, type DatasetIndex, type SkipKind, type SplitName, type ValidationSource } from './types';

/** One class's image counts. */
export interface ClassCount {
  readonly name: string;
  readonly label: number;
  readonly counts: Readonly<Record<SplitName, number>>;
}

/** Minimum, maximum and mean of a size. */
export interface Range {
  readonly min: number;
  readonly max: number;
  readonly mean: number;
}

/** Files with the same content in more than one split: the model would be tested on what it trained on. */
export interface DuplicateGroup {
  readonly hash: string;
  readonly files: readonly { readonly split: SplitName; readonly className: string; readonly rel: string }[];
}

/**
 * What a dataset holds and what is wrong with it, shown before training. Plain JSON (no Maps, no typed arrays), so
 * it crosses IPC and WebSocket as it is; `formatReport` prints it for the command line.
 */
export interface DatasetReport {
  readonly root: string;
  readonly layout: DatasetIndex['layout'];
  readonly validation: ValidationSource;
  readonly classes: readonly ClassCount[];
  readonly totals: Readonly<Record<SplitName, number>>;
  /** Sizes as stored, over all usable images. Null when there are none. */
  readonly sizes: {
    readonly width: Range;
    readonly height: Range;
    /** The most frequent sizes, "W×H", most frequent first (at most five). */
    readonly common: readonly { readonly size: string; readonly count: number }[];
  } | null;
  /** Images per format, by content. */
  readonly formats: Readonly<Record<string, number>>;
  /** Images per storage kind: grayscale, colour, with alpha, palette, 16-bit. */
  readonly storage: {
    readonly grayscale: number;
    readonly colour: number;
    readonly alpha: number;
    readonly palette: number;
    readonly highBitDepth: number;
  };
  readonly skipped: readonly { readonly rel: string; readonly kind: SkipKind; readonly reason: string }[];
  readonly skippedByKind: Readonly<Partial<Record<SkipKind, number>>>;
  readonly ignored: DatasetIndex['ignored'];
  /** Training images of the largest and smallest class; ratio = largest / smallest, null when the smallest is empty. */
  readonly imbalance: {
    readonly largest: { readonly name: string; readonly count: number };
    readonly smallest: { readonly name: string; readonly count: number };
    readonly ratio: number | null;
  } | null;
  readonly duplicates: readonly DuplicateGroup[];
  /** Why training cannot start; empty when it can. */
  readonly errors: readonly string[];
  /** Worth a look, but training can start. */
  readonly warnings: readonly string[];
}

/** A largest ÷ smallest class ratio from which the report warns. */
export const IMBALANCE_WARNING = 3;

/** A loop, not Math.min(...values): spreading a hundred thousand arguments overflows the stack. */
function range(values: number[]): Range {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const v of values) {
    min = Math.min(min, v);
    max = Math.max(max, v);
    sum += v;
  }
  return { min, max, mean: sum / values.length };
}

/** Builds the report of a scanned (and possibly split) dataset. */
export function datasetReport(index: DatasetIndex, extraErrors: readonly string[] = []): DatasetReport {
  const all = SPLITS.flatMap((s) => index.splits[s]);
  const classes: ClassCount[] = index.classes.map((name, label) => ({
    name,
    label,
    counts: { train: 0, validation: 0, test: 0 },
  }));
  for (const e of all) (classes[e.label].counts as Record<SplitName, number>)[e.split]++;
  const totals = {
    train: index.splits.train.length,
    validation: index.splits.validation.length,
    test: index.splits.test.length,
  };

  const sizeCounts = new Map<string, number>();
  const formats: Record<string, number> = {};
  const storage = { grayscale: 0, colour: 0, alpha: 0, palette: 0, highBitDepth: 0 };
  for (const e of all) {
    const size = `${e.width}×${e.height}`;
    sizeCounts.set(size, (sizeCounts.get(size) ?? 0) + 1);
    formats[e.format] = (formats[e.format] ?? 0) + 1;
    // Palette images report their expanded channels (3 or 4), so they count as colour too.
    if (e.channels <= 2) storage.grayscale++;
    else storage.colour++;
    if (e.channels === 2 || e.channels === 4) storage.alpha++;
    if (e.palette) storage.palette++;
    if (e.bitDepth > 8) storage.highBitDepth++;
  }
  const sizes =
    all.length === 0
      ? null
      : {
          width: range(all.map((e) => e.width)),
          height: range(all.map((e) => e.height)),
          common: [...sizeCounts]
            .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
            .slice(0, 5)
            .map(([size, count]) => ({ size, count })),
        };

  const skippedByKind: Partial<Record<SkipKind, number>> = {};
  for (const s of index.skipped) skippedByKind[s.kind] = (skippedByKind[s.kind] ?? 0) + 1;

  const warnings: string[] = [];
  const imbalance = imbalanceOf(index, classes);
  // A class with no images at all is an error (see datasetProblems), not an imbalance.
  if (imbalance?.ratio != null && imbalance.ratio >= IMBALANCE_WARNING) {
    warnings.push(
      `Class imbalance: "${imbalance.largest.name}" has ${imbalance.largest.count} training images, "${imbalance.smallest.name}" only ${imbalance.smallest.count} (${imbalance.ratio.toFixed(1)}×).`,
    );
  }
  const duplicates = crossSplitDuplicates(index);
  if (duplicates.length > 0) {
    warnings.push(
      `${duplicates.length} image(s) appear in more than one split (identical content): evaluation would reward memorising them.`,
    );
  }
  for (const split of ['validation', 'test'] as const) {
    if (index.splits[split].length === 0) continue;
    const missing = classes.filter((c) => c.counts[split] === 0 && c.counts.train > 0).map((c) => `"${c.name}"`);
    if (missing.length > 0) warnings.push(`No ${split} images for class ${missing.join(', ')}.`);
  }
  if (index.skipped.length > 0) warnings.push(`${index.skipped.length} file(s) skipped; they will not be trained on.`);

  return {
    root: index.root,
    layout: index.layout,
    validation: index.validation,
    classes,
    totals,
    sizes,
    formats,
    storage,
    skipped: index.skipped.map(({ rel, kind, reason }) => ({ rel, kind, reason })),
    skippedByKind,
    ignored: index.ignored,
    imbalance,
    duplicates,
    errors: [...datasetProblems(index).map((p) => p.message), ...extraErrors],
    warnings,
  };
}

function imbalanceOf(index: DatasetIndex, classes: ClassCount[]): DatasetReport['imbalance'] {
  if (classes.length < 2) return null;
  // Training images, counting a carved validation split back in: it is the same pool of files.
  const count = (c: ClassCount) => c.counts.train + (index.validation.kind === 'split' ? c.counts.validation : 0);
  // The first class (in label order) with the most images, and the first with the fewest.
  let largest = classes[0];
  let smallest = classes[0];
  for (const c of classes) {
    if (count(c) > count(largest)) largest = c;
    if (count(c) < count(smallest)) smallest = c;
  }
  return {
    largest: { name: largest.name, count: count(largest) },
    smallest: { name: smallest.name, count: count(smallest) },
    ratio: count(smallest) === 0 ? null : count(largest) / count(smallest),
  };
}

function crossSplitDuplicates(index: DatasetIndex): DuplicateGroup[] {
  const byHash = new Map<string, DuplicateGroup['files'][number][]>();
  for (const split of SPLITS) {
    for (const e of index.splits[split]) {
      const files = byHash.get(e.hash) ?? [];
      files.push({ split, className: index.classes[e.label], rel: e.rel });
      byHash.set(e.hash, files);
    }
  }
  return [...byHash]
    .filter(([, files]) => new Set(files.map((f) => f.split)).size > 1)
    .map(([hash, files]) => ({ hash, files }));
}
