import { z } from 'zod';
import { Graph, SchemaError } from './graph';
import { EpochRecord, Metric } from './metrics';
import { jsonTextDepthProblem, untrustedDataProblem } from './safe-json';
import { MAX_KEEP_WEIGHT_SETS, ProjectSettings } from './training';

/**
 * The .convas project file. On disk it is a safetensors file: its tensors are the network's named weights
 * (`conv1.kernel`, …; none for an untrained project) and its `__metadata__` holds one key, PROJECT_METADATA_KEY,
 * whose value is the JSON described by `ProjectFile` below. Any safetensors reader can take the weights out.
 */
export const PROJECT_VERSION = 1;
export const PROJECT_EXTENSION = '.convas';
export const PROJECT_METADATA_KEY = 'convas.project';

export { EpochRecord, Metric, toMetric } from './metrics';

/** Where the project's images are: a folder chosen with a folder dialog, holding one sub-folder per class. */
export const DatasetLocation = z.strictObject({
  path: z.string().min(1).max(4096),
  /** The class names the network was trained on, in label order (output i is classes[i]). */
  classes: z.array(z.string().max(255)).max(100_000).optional(),
});
export type DatasetLocation = z.infer<typeof DatasetLocation>;

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
  /** The class names of an imported model (from its file's metadata), in output order, while it has no dataset. */
  classes: z.array(z.string().max(255)).max(100_000).optional(),
  history: z.array(TrainingRun).max(1000),
  /** The next run's settings; absent in projects saved before they were kept (the defaults apply). */
  settings: ProjectSettings.optional(),
});
export type ProjectContent = z.infer<typeof ProjectContent>;

/**
 * best: the epoch with the best validation accuracy; final: the last weights, when they are not the best; start: the
 * weights a run replaced that no kept set held (an import), so that no run ever loses weights.
 */
export const KeptWeightsKind = z.enum(['best', 'final', 'start']);
export type KeptWeightsKind = z.infer<typeof KeptWeightsKind>;

/** A weight set kept for a run of the history (its best epoch's, or its last), which can become the current weights. */
export const KeptWeightsInfo = z.strictObject({
  /** The run's `startedAt`. */
  run: z.iso.datetime(),
  kind: KeptWeightsKind,
  /** The epoch the weights are from, and its validation accuracy. */
  epoch: z.int().min(0),
  valAccuracy: Metric.optional(),
  /** graphVersion of the network they were trained on. */
  graphVersion: z.string().max(64),
});
export type KeptWeightsInfo = z.infer<typeof KeptWeightsInfo>;

/** The JSON stored under PROJECT_METADATA_KEY. */
export const ProjectFile = ProjectContent.extend({
  format: z.literal('convas-project'),
  version: z.int().min(1).max(PROJECT_VERSION),
  /** The tensors stored beside this JSON; reading checks that the two agree. */
  weights: z.array(WeightEntry).max(100_000),
  /** graphVersion of the network the weights were trained on (absent: unknown, in older files). */
  weightsGraph: z.string().max(64).optional(),
  /** Weight sets kept for runs; set i's tensors are stored as `kept<i>/<weight name>`. */
  kept: z
    .array(KeptWeightsInfo.extend({ weights: z.array(WeightEntry).max(100_000) }))
    .max(MAX_KEEP_WEIGHT_SETS)
    .optional(),
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
