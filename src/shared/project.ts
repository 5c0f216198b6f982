import { z } from 'zod';
import { Graph, SchemaError } from './graph';
import { jsonTextDepthProblem, untrustedDataProblem } from './safe-json';

/**
 * The .convas project file. On disk it is a safetensors file: its tensors are the network's named weights
 * (`conv1.kernel`, …; none for an untrained project) and its `__metadata__` holds one key, PROJECT_METADATA_KEY,
 * whose value is the JSON described by `ProjectFile` below. Any safetensors reader can take the weights out.
 */
export const PROJECT_VERSION = 1;
export const PROJECT_EXTENSION = '.convas';
export const PROJECT_METADATA_KEY = 'convas.project';

/** JSON has no NaN or Infinity; a diverged run keeps them as their names so that the UI shows NaN, not null. */
export const Metric = z.union([z.number(), z.enum(['NaN', 'Infinity', '-Infinity'])]);
export type Metric = z.infer<typeof Metric>;

/** A number as a Metric: finite numbers stay numbers, the rest become their names. */
export function toMetric(v: number): Metric {
  if (Number.isFinite(v)) return v;
  return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
}

/** Where the project's images are: a folder chosen with a folder dialog, holding one sub-folder per class. */
export const DatasetLocation = z.strictObject({
  path: z.string().min(1).max(4096),
  /** The class names the network was trained on, in label order (output i is classes[i]). */
  classes: z.array(z.string().max(255)).max(100_000).optional(),
});
export type DatasetLocation = z.infer<typeof DatasetLocation>;

/** One epoch of a training run, as the charts plot it. */
export const EpochRecord = z.strictObject({
  epoch: z.int().min(0),
  /** Optimizer steps taken since the run started, at the end of this epoch. */
  step: z.int().min(0),
  loss: Metric,
  accuracy: Metric.optional(),
  valLoss: Metric.optional(),
  valAccuracy: Metric.optional(),
  seconds: z.number().min(0).optional(),
});
export type EpochRecord = z.infer<typeof EpochRecord>;

const SettingName = z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'a setting name is an identifier');

/** One training run: its settings (optimizer, learning rate, batch size, …), its epochs and why it stopped. */
export const TrainingRun = z.strictObject({
  startedAt: z.iso.datetime(),
  settings: z.record(SettingName, z.union([z.number(), z.boolean(), z.string().max(200)])),
  epochs: z.array(EpochRecord).max(100_000),
  /** Why the run ended, when it did not finish normally ("loss became NaN at step 812"). */
  stopped: z.string().max(2000).optional(),
});
export type TrainingRun = z.infer<typeof TrainingRun>;

/** A weight named `${nodeId}.${weightName}`, as Network.getWeights names them, with its shape. */
export const WeightEntry = z.strictObject({
  name: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}\.[A-Za-z][A-Za-z0-9_]{0,63}$/, 'a weight name is node.weight'),
  shape: z.array(z.int().min(0)).max(8),
});
export type WeightEntry = z.infer<typeof WeightEntry>;

/** What the user edits in the window: everything in a project except the weights, which stay in the host. */
export const ProjectContent = z.strictObject({
  name: z.string().max(200).optional(),
  graph: Graph,
  dataset: DatasetLocation.nullable(),
  history: z.array(TrainingRun).max(1000),
});
export type ProjectContent = z.infer<typeof ProjectContent>;

/** The JSON stored under PROJECT_METADATA_KEY. */
export const ProjectFile = ProjectContent.extend({
  format: z.literal('convas-project'),
  version: z.int().min(1).max(PROJECT_VERSION),
  /** The tensors stored beside this JSON; reading checks that the two agree. */
  weights: z.array(WeightEntry).max(100_000),
  savedAt: z.iso.datetime(),
});
export type ProjectFile = z.infer<typeof ProjectFile>;

/** A new project's content: an empty or template graph, no dataset, no history. */
export function newProjectContent(graph: Graph, name?: string): ProjectContent {
  return { ...(name === undefined ? {} : { name }), graph, dataset: null, history: [] };
}

/**
 * Parses the project JSON from a file's metadata, or throws SchemaError saying what is wrong.
 * The version is checked before the rest, so that a file from a newer Convas is refused with that reason
 * rather than with a list of fields this version does not know.
 */
export function parseProjectJson(text: string, source: string): ProjectFile {
  const deep = jsonTextDepthProblem(text);
  if (deep) throw new SchemaError(`${source}: the project description is refused: ${deep}`);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new SchemaError(`${source}: the project description is not valid JSON (${(e as Error).message})`);
  }
  const problem = untrustedDataProblem(data);
  if (problem) throw new SchemaError(`${source}: the project description is refused: ${problem}`);
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new SchemaError(`${source}: the project description is not a JSON object`);
  }
  const { format, version } = data as { format?: unknown; version?: unknown };
  if (format !== 'convas-project') {
    throw new SchemaError(`${source} is not a Convas project (its format is ${JSON.stringify(format ?? null)})`);
  }
  if (typeof version === 'number' && Number.isInteger(version) && version > PROJECT_VERSION) {
    throw new SchemaError(
      `${source} was saved by a newer Convas (project version ${version}); this Convas reads project versions up to ${PROJECT_VERSION}. Update Convas to open it.`,
    );
  }
  const r = ProjectFile.safeParse(data);
  if (!r.success) throw new SchemaError(`${source} is not a valid Convas project:\n${z.prettifyError(r.error)}`);
  return r.data;
}
