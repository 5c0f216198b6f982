import { z } from 'zod';
import { FilePath } from './menu';
import { EpochRecord, Metric } from './metrics';

/**
 * What crosses the process boundary for the Data, Train and Inspect views: the settings a user types (validated
 * here, so the window's fields and the host check the very same rules), training progress, and the results of
 * looking inside a network. Images travel as PNG data: URLs, which the page's CSP allows.
 */

/** A whole number in [min, max], with a message a person can act on. */
const whole = (min: number, max: number) => {
  const says = `a whole number from ${min.toLocaleString('en')} to ${max.toLocaleString('en')}`;
  return z.int({ error: says }).min(min, { error: says }).max(max, { error: says });
};

/** A number in [min, max] (or (min, max] when `above` is set), with a message a person can act on. */
const decimal = (min: number, max: number, { above = false } = {}) => {
  const says = above ? `a number above ${min} and at most ${max}` : `a number from ${min} to ${max}`;
  const n = z.number({ error: says });
  return (above ? n.gt(min, { error: says }) : n.min(min, { error: says })).max(max, { error: says });
};

/**
 * Which images: a folder the host handed out (its folder dialog, or the dataset of a project file it opened), or
 * null for the built-in sample. The host refuses any other path.
 */
export const DatasetChoice = FilePath.nullable();
export type DatasetChoice = z.infer<typeof DatasetChoice>;

export const OPTIMIZERS = ['sgd', 'momentum', 'adam'] as const;
export const OptimizerKind = z.enum(OPTIMIZERS);
export type OptimizerKind = z.infer<typeof OptimizerKind>;

/** How the learning rate changes over a run (src/engine/optim/schedule.ts): held, or decayed along a cosine. */
export const SCHEDULES = ['constant', 'cosine'] as const;
export const ScheduleKind = z.enum(SCHEDULES);
export type ScheduleKind = z.infer<typeof ScheduleKind>;

/** What the user sets before a run. Learning rates as large as 10 are allowed: watching a run diverge teaches. */
export const Hyperparameters = z.strictObject({
  epochs: whole(1, 10_000),
  batchSize: whole(1, 4096),
  optimizer: OptimizerKind,
  learningRate: decimal(0, 1000, { above: true }),
  /** The rate's course over the run's steps; projects saved before schedules existed hold it constant. */
  schedule: ScheduleKind.default('constant'),
  /** Momentum's coefficient (used by the momentum optimizer only). */
  momentum: decimal(0, 0.9999),
  /** L2 penalty added to every gradient. */
  weightDecay: decimal(0, 1),
  /**
   * Share of each training target spread evenly over all classes (cross-entropy's label smoothing); 0 is off, as
   * in projects saved before it existed. Validation and test losses stay the plain cross-entropy.
   */
  labelSmoothing: decimal(0, 0.5).default(0),
  seed: whole(0, 2 ** 31 - 1),
  /** Stop after this many epochs without a better validation accuracy; 0 never stops early. */
  patience: whole(0, 10_000),
});
export type Hyperparameters = z.infer<typeof Hyperparameters>;

/** What a new run starts with: plain SGD, which shows divergence at a learning rate of 10 as the lesson intends. */
export const DEFAULT_HYPERPARAMETERS: Hyperparameters = {
  epochs: 5,
  batchSize: 32,
  optimizer: 'sgd',
  learningRate: 0.05,
  schedule: 'constant',
  momentum: 0.9,
  weightDecay: 0,
  labelSmoothing: 0,
  seed: 1,
  patience: 0,
};

/** Random changes to training images (see src/host/datasets/augment.ts); 0 or false is off. */
export const AugmentSettings = z.strictObject({
  flip: z.boolean(),
  /** Largest shift, as a fraction of the width and height. */
  shift: decimal(0, 0.5),
  /** Largest rotation either way, in degrees. */
  rotate: decimal(0, 180),
  brightness: decimal(0, 1),
  contrast: decimal(0, 1),
});
export type AugmentSettings = z.infer<typeof AugmentSettings>;

/** How the images become the model's input, and how many are held out for validation. */
export const DataSettings = z.strictObject({
  /** Share of each class held out for validation when the folder has no val/ folder. */
  validationFraction: decimal(0.05, 0.5),
  resize: z.enum(['stretch', 'fit', 'crop']),
  augment: AugmentSettings,
});
export type DataSettings = z.infer<typeof DataSettings>;

export const DEFAULT_DATA_SETTINGS: DataSettings = {
  validationFraction: 0.2,
  resize: 'stretch',
  augment: { flip: false, shift: 0, rotate: 0, brightness: 0, contrast: 0 },
};

/** The learning rate each optimizer starts with when none is given (the app's form and `convas train` alike). */
export const DEFAULT_LEARNING_RATES: Record<OptimizerKind, number> = { sgd: 0.05, momentum: 0.01, adam: 0.001 };

/**
 * Weight sets a project keeps for its runs unless the user chooses otherwise: each costs 4 bytes per parameter in
 * the project file (LeNet-5: 62 k parameters, 0.25 MB a set; a run keeps its best and, when it differs, its final).
 */
export const DEFAULT_KEEP_WEIGHT_SETS = 6;
export const MAX_KEEP_WEIGHT_SETS = 100;

/** The settings a project saves: the next run's hyperparameters and data settings, and how many weight sets to keep. */
export const ProjectSettings = z.strictObject({
  hyper: Hyperparameters,
  data: DataSettings,
  /** Kept weight sets of earlier runs, oldest dropped first; the current weights are always kept besides. */
  keepWeightSets: whole(0, MAX_KEEP_WEIGHT_SETS),
});
export type ProjectSettings = z.infer<typeof ProjectSettings>;

/** One set of defaults, for the app and the command line. */
export function defaultProjectSettings(): ProjectSettings {
  return {
    hyper: { ...DEFAULT_HYPERPARAMETERS },
    data: { ...DEFAULT_DATA_SETTINGS, augment: { ...DEFAULT_DATA_SETTINGS.augment } },
    keepWeightSets: DEFAULT_KEEP_WEIGHT_SETS,
  };
}

/** A PNG image as a data: URL. */
export const PngDataUrl = z.string().startsWith('data:image/png;base64,');

// ---- the Data view ----

const SplitCounts = z.object({ train: z.int(), validation: z.int(), test: z.int() });
const Range = z.object({ min: z.number(), max: z.number(), mean: z.number() });

/** The dataset report as the Data view shows it (the host's DatasetReport, with long lists capped). */
export const DatasetReportView = z.object({
  /** 'sample' for the built-in sample. */
  source: z.enum(['sample', 'folder']),
  root: z.string(),
  layout: z.enum(['classes', 'splits']),
  /** Where validation images come from: a val/ folder, a share of train/ split off, or nowhere. */
  validationFrom: z.enum(['folder', 'split', 'none']),
  classes: z.array(z.object({ name: z.string(), label: z.int(), counts: SplitCounts })),
  totals: SplitCounts,
  sizes: z
    .object({ width: Range, height: Range, common: z.array(z.object({ size: z.string(), count: z.int() })) })
    .nullable(),
  formats: z.record(z.string(), z.int()),
  /** Images stored in gray (with or without alpha) and in colour, to check them against the input's channels. */
  storage: z.object({ grayscale: z.int(), colour: z.int() }).optional(),
  /** The first files left out, with the reason; `skippedTotal` counts all of them. */
  skipped: z.array(z.object({ rel: z.string(), kind: z.string(), reason: z.string() })),
  skippedTotal: z.int(),
  ignored: z.object({ count: z.int(), examples: z.array(z.string()) }),
  imbalance: z
    .object({
      largest: z.object({ name: z.string(), count: z.int() }),
      smallest: z.object({ name: z.string(), count: z.int() }),
      ratio: z.number().nullable(),
    })
    .nullable(),
  /** Files with the same content in more than one split (the first groups; the warning gives the count). */
  duplicates: z.array(
    z.object({ files: z.array(z.object({ split: z.string(), className: z.string(), rel: z.string() })) }),
  ),
  errors: z.array(z.string()),
  warnings: z.array(z.string()),
});
export type DatasetReportView = z.infer<typeof DatasetReportView>;

/** A few images of each class, for the Data view. */
export const Thumbnails = z.object({
  classes: z.array(z.object({ name: z.string(), images: z.array(z.object({ file: z.string(), png: PngDataUrl })) })),
});
export type Thumbnails = z.infer<typeof Thumbnails>;

/** A grid: one row per sample image, its original first, then augmented copies. */
export const AugmentPreview = z.object({ png: PngDataUrl, rows: z.int(), columns: z.int() });
export type AugmentPreview = z.infer<typeof AugmentPreview>;

// ---- training ----

export const TrainingPhase = z.enum(['idle', 'starting', 'running', 'paused', 'stopping']);
export type TrainingPhase = z.infer<typeof TrainingPhase>;

/** One optimizer step's loss: every one reaches the window (the relay never drops them). */
export const StepPoint = z.strictObject({ step: z.int().min(1), epoch: z.int().min(1), loss: Metric });
export type StepPoint = z.infer<typeof StepPoint>;

/** One finished epoch, as recorded in the project's history, and whether its weights are the best so far. */
export const EpochPoint = EpochRecord.extend({ best: z.boolean() });
export type EpochPoint = z.infer<typeof EpochPoint>;

/** Where a run is: for the progress bar. */
export const TrainingStatus = z.strictObject({
  epoch: z.int(),
  epochs: z.int(),
  /** Step within the epoch (1-based) and the epoch's number of steps. */
  step: z.int(),
  steps: z.int(),
  globalStep: z.int(),
  /** The rate the last step used: the plan's, or where its schedule has taken it. */
  learningRate: z.number(),
  imagesPerSecond: z.number(),
  etaSeconds: z.number(),
});
export type TrainingStatus = z.infer<typeof TrainingStatus>;

/** How a run ended. `failed`: an error stopped it (a folder removed, a worker killed); the reason says which. */
export const TrainingEnd = z.strictObject({
  status: z.enum(['finished', 'early-stopped', 'stopped', 'diverged', 'failed']),
  /** Epochs completed. */
  epochs: z.int(),
  reason: z.string().nullable(),
  /**
   * The epoch whose checkpoint a stopped, failed or diverged run left behind: `resumeFromCheckpoint` continues
   * from it. Absent when there is nothing to resume (the run finished, no epoch ended, or the checkpoint is gone).
   */
  resumeFrom: z.int().min(1).optional(),
});
export type TrainingEnd = z.infer<typeof TrainingEnd>;

/** Everything the window needs to show training, also after a reload in the middle of a run. */
export const TrainingState = z.strictObject({
  phase: TrainingPhase,
  /** The current or last run of this window; null before the first. */
  runId: z.string().nullable(),
  hyper: Hyperparameters.nullable(),
  /** graphVersion of the network that can be inspected (null: none); differing from the canvas's, it is older. */
  modelGraph: z.string().nullable(),
  status: TrainingStatus.nullable(),
  /** Every step of the current or last run (a reloaded window redraws its chart from these). */
  points: z.array(StepPoint),
  epochs: z.array(EpochPoint),
  end: TrainingEnd.nullable(),
  /** Class names in label order of the network that can be inspected, or null when there is none. */
  classes: z.array(z.string()).nullable(),
});
export type TrainingState = z.infer<typeof TrainingState>;

/**
 * How far a run that is starting has got, for the progress bar while the window waits for the first step: the
 * dataset's files probed (only when the Data view has not scanned it yet), the validation images decoded, the
 * training threads started.
 */
export const StartingProgress = z.strictObject({
  stage: z.enum(['scanning', 'decoding', 'workers']),
  done: z.int().min(0),
  total: z.int().min(0),
});
export type StartingProgress = z.infer<typeof StartingProgress>;

/** A batch of progress: every step since the last batch, epochs that ended, and the latest status. */
export const TrainingProgress = z.strictObject({
  runId: z.string(),
  points: z.array(StepPoint),
  epochs: z.array(EpochPoint),
  status: TrainingStatus.nullable(),
});
export type TrainingProgress = z.infer<typeof TrainingProgress>;

// ---- looking inside ----

/** An image to look at: one of the validation split, or the image last dropped on the prediction view. */
export const ImageRef = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('validation'), index: z.int().min(0).max(10_000_000) }),
  z.strictObject({ kind: z.literal('dropped') }),
]);
export type ImageRef = z.infer<typeof ImageRef>;

/** Accuracy over the validation split, cell by cell. */
export const ConfusionView = z.object({
  classes: z.array(z.string()),
  /** matrix[actual][predicted] = images. */
  matrix: z.array(z.array(z.int())),
  accuracy: Metric,
  loss: Metric,
  perClass: z.array(z.object({ name: z.string(), correct: z.int(), total: z.int(), accuracy: z.number().nullable() })),
});
export type ConfusionView = z.infer<typeof ConfusionView>;

/** One validation image with what the network makes of it. */
export const ScoredImage = z.object({
  index: z.int(),
  file: z.string(),
  label: z.int(),
  predicted: z.int(),
  /** The predicted class's probability. */
  confidence: z.number(),
  probabilities: z.array(z.number()),
  png: PngDataUrl,
});
export type ScoredImage = z.infer<typeof ScoredImage>;

/** The validation images of one confusion-matrix cell. */
export const CellImages = z.object({
  actual: z.int(),
  predicted: z.int(),
  total: z.int(),
  images: z.array(ScoredImage),
});
export type CellImages = z.infer<typeof CellImages>;

export const GallerySort = z.enum(['least-confident', 'most-confident', 'file']);
export type GallerySort = z.infer<typeof GallerySort>;

export const GalleryPage = z.object({ total: z.int(), items: z.array(ScoredImage) });
export type GalleryPage = z.infer<typeof GalleryPage>;

/** An image the user dropped, classified. */
export const DroppedPrediction = z.object({
  png: PngDataUrl,
  classes: z.array(z.string()),
  probabilities: z.array(z.number()),
  predicted: z.int(),
});
export type DroppedPrediction = z.infer<typeof DroppedPrediction>;

/** Where each tile sits in a tiled picture. */
const Tiling = {
  columns: z.int(),
  rows: z.int(),
  tileWidth: z.int(),
  tileHeight: z.int(),
  /** Pixels between tiles. */
  gap: z.int(),
};

/** One node's output for one image: one tile per channel, one colour scale for all (min → black, max → white). */
export const FeatureMaps = z.object({
  nodeId: z.string(),
  image: ImageRef,
  /** The node's output shape for one image. */
  shape: z.array(z.int()),
  png: PngDataUrl,
  min: z.number(),
  max: z.number(),
  ...Tiling,
  /** The training step the weights are from, during a run; null for a finished network. */
  step: z.int().nullable(),
});
export type FeatureMaps = z.infer<typeof FeatureMaps>;

/** A convolution's filters as pictures: one row per filter, one tile per input channel, one colour scale. */
export const FilterView = z.object({
  nodeId: z.string(),
  /** [filters, channels, kernel height, kernel width]. */
  shape: z.array(z.int()),
  png: PngDataUrl,
  min: z.number(),
  max: z.number(),
  ...Tiling,
});
export type FilterView = z.infer<typeof FilterView>;

export const Histogram = z.object({
  min: z.number(),
  max: z.number(),
  mean: z.number(),
  counts: z.array(z.int()),
  total: z.int(),
});
export type Histogram = z.infer<typeof Histogram>;

export const HistogramsView = z.object({
  nodeId: z.string(),
  /** One per weight tensor of the node (kernel, bias…); empty for a node without weights. */
  weights: z.array(z.object({ name: z.string(), histogram: Histogram })),
  /** The node's outputs over the first validation images. */
  activations: Histogram,
  images: z.int(),
});
export type HistogramsView = z.infer<typeof HistogramsView>;

/** One output value of a convolution worked out in full: the window, the filter, their products, bias and sum. */
export const ConvolutionStep = z.object({
  nodeId: z.string(),
  filter: z.int(),
  /** Output position. */
  y: z.int(),
  x: z.int(),
  kernelH: z.int(),
  kernelW: z.int(),
  stride: z.int(),
  padTop: z.int(),
  padLeft: z.int(),
  /** [channels, height, width] of the input and of the output. */
  inputShape: z.array(z.int()),
  outputShape: z.array(z.int()),
  /** Input channels listed below (the first ones, when there are many); the sum covers all of them. */
  channelsShown: z.int(),
  /** [channelsShown][kernelH][kernelW], flattened: the input under the window (0 in the padding). */
  window: z.array(z.number()),
  kernel: z.array(z.number()),
  products: z.array(z.number()),
  /** Sum of every product over all channels. */
  sum: z.number(),
  bias: z.number(),
  /** sum + bias. */
  output: z.number(),
  /** The value the network itself computed there: equal to `output` up to rounding. */
  networkOutput: z.number(),
  /** The input (first channel) and the filter's output map, as pictures. */
  inputPng: PngDataUrl,
  outputPng: PngDataUrl,
});
export type ConvolutionStep = z.infer<typeof ConvolutionStep>;

/** Which pixels drove a decision: |d score / d pixel|, the largest over channels, scaled to [0, 1]. */
export const Saliency = z.object({
  image: ImageRef,
  classIndex: z.int(),
  className: z.string(),
  probabilities: z.array(z.number()),
  png: PngDataUrl,
  heatPng: PngDataUrl,
  overlayPng: PngDataUrl,
});
export type Saliency = z.infer<typeof Saliency>;

// ---- export ----

export const ExportFormatInfo = z.object({
  id: z.string(),
  label: z.string(),
  extensions: z.array(z.string()),
  preserves: z.string(),
  singleFile: z.boolean(),
});
export type ExportFormatInfo = z.infer<typeof ExportFormatInfo>;
