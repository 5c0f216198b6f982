import { Network, tensor, type CompiledGraph, type Tensor } from '../../engine';
import type { ProjectContent } from '../../shared/project';
import { DEFAULT_MAX_PIXELS, type InputSpec } from '../datasets';
import { decodeToInput } from '../datasets/decode';
import { probeFile } from '../datasets/probe';
import { readProjectFile } from '../project/project-file';

/** A trained project, ready to predict: its network with the saved weights, class names and input format. */
export interface TrainedModel {
  path: string;
  project: ProjectContent;
  network: Network;
  /** Class names in label order; `class 0`, `class 1`, … when the project does not record them. */
  classes: string[];
  /** Whether the project recorded its class names (an imported model does not). */
  classesRecorded: boolean;
  input: InputSpec;
}

export class ModelError extends Error {
  override name = 'ModelError';
}

/** What images must become for this graph: the input node's channels and size (1 or 3 channels). */
export function inputSpecOf(graph: CompiledGraph, resize: InputSpec['resize'] = 'stretch'): InputSpec {
  const node = graph.byId.get(graph.inputId)!;
  const { channels, height, width } = node.params as { channels: number; height: number; width: number };
  if (channels !== 1 && channels !== 3) {
    throw new ModelError(`the input node '${node.id}' has ${channels} channels; images give 1 (grayscale) or 3 (RGB)`);
  }
  return { channels, height, width, resize };
}

/** Opens a .convas project that holds trained weights; names the file and what is missing otherwise. */
export async function loadTrainedModel(path: string): Promise<TrainedModel> {
  const loaded = await readProjectFile(path);
  const network = new Network(loaded.file.graph);
  if (Object.keys(loaded.weights).length === 0)
    throw new ModelError(`${path} holds no trained weights; train it first`);
  try {
    network.setWeights(loaded.weights);
  } catch (e) {
    throw new ModelError(`${path}: ${(e as Error).message}`);
  }
  const outputs = network.graph.outputShape.reduce((a, b) => a * b, 1);
  const recorded = loaded.file.dataset?.classes ?? loaded.file.classes ?? [];
  const classes = recorded.length === outputs ? [...recorded] : Array.from({ length: outputs }, (_, i) => `class ${i}`);
  const classesRecorded = recorded.length === outputs;
  return { path, project: loaded.file, network, classes, classesRecorded, input: inputSpecOf(network.graph) };
}

/** Reads one image file (any format the dataset service reads, told by its content) as a batch of one. */
export async function readImage(path: string, input: InputSpec, inputShape: readonly number[]): Promise<Tensor> {
  const probe = await probeFile(path, path, { maxPixels: DEFAULT_MAX_PIXELS, maxFileBytes: 512 * 1024 * 1024 });
  if (probe.kind === 'skipped') throw new ModelError(`${path}: ${probe.reason}`);
  if (probe.kind === 'ignored') throw new ModelError(`${path} is not an image`);
  const bytes = await decodeToInput({ path, format: probe.format }, input, DEFAULT_MAX_PIXELS);
  const x = tensor([1, ...inputShape]);
  for (let i = 0; i < bytes.length; i++) x.data[i] = bytes[i] / 255;
  return x;
}
