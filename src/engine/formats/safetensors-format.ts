import { parseGraph, type Graph } from '../../shared/graph';
import { parseUntrustedJson } from '../../shared/safe-json';
import { compileGraph } from '../graph';
import type { NamedWeights } from '../network';
import { decodeSafetensors, encodeSafetensors, SafetensorsError } from './safetensors';
import { classesFromMetadata, modelInfoEntries } from './model-info';
import { FormatError, type ExportFormat } from './types';
import { checkWeights } from './weights';

/** The metadata key under which an exported safetensors file carries its graph, so that it is self-describing. */
export const GRAPH_METADATA_KEY = 'convas.graph';

const encoder = new TextEncoder();

/**
 * Hugging Face safetensors: the weights under their Convas names (`conv1.kernel`, `bn1.runningVar`) in the
 * engine's layouts (conv kernels [F, C, KH, KW], dense kernels [units, inputs], as PyTorch), float32,
 * plus the graph as a JSON file beside it (and a copy in the file's metadata).
 */
export const safetensorsFormat: ExportFormat = {
  id: 'safetensors',
  label: 'safetensors + graph JSON',
  extensions: ['.safetensors', '.json'],
  preserves:
    'Every weight bit for bit, batch-norm running statistics included, and the whole graph (layers, parameters, names, positions) in the JSON file; not the optimizer state.',
  singleFile: false,
  export({ graph, compiled, weights, baseName, classes }) {
    const graphJson = JSON.stringify(graph);
    const info = modelInfoEntries(compiled, classes, 'NCHW');
    return [
      {
        name: `${baseName}.safetensors`,
        bytes: encodeSafetensors(weights, { format: 'convas', [GRAPH_METADATA_KEY]: graphJson, ...info }),
      },
      { name: `${baseName}.json`, bytes: encoder.encode(JSON.stringify(graph, null, 2) + '\n') },
    ];
  },
};

/**
 * Reads safetensors bytes as the weights of `graph`: the header must add up (see decodeSafetensors) and
 * every tensor must be one the graph needs, with its exact shape and finite values. Throws FormatError
 * (or SafetensorsError, GraphError) naming the file and the tensor at fault.
 */
export function importSafetensorsInto(graph: Graph, bytes: Uint8Array, source = 'the safetensors file'): NamedWeights {
  const compiled = compileGraph(graph);
  let tensors: NamedWeights;
  try {
    tensors = decodeSafetensors(bytes).tensors;
  } catch (e) {
    if (e instanceof SafetensorsError) throw new FormatError(`${source}: ${e.message}`);
    throw e;
  }
  return checkWeights(compiled, tensors, source);
}

/** The class names a safetensors file's metadata carries for a network of `outputs` outputs, or null (see classesFromMetadata). */
export function classesFromSafetensors(bytes: Uint8Array, outputs: number, warnings: string[] = []): string[] | null {
  return classesFromMetadata(decodeSafetensors(bytes).metadata, outputs, warnings);
}

/** The graph a Convas safetensors export carries in its metadata, or null when it has none. Validated by the graph schema. */
export function graphFromSafetensors(bytes: Uint8Array, source = 'the safetensors file'): Graph | null {
  let metadata: Record<string, string>;
  try {
    metadata = decodeSafetensors(bytes).metadata;
  } catch (e) {
    if (e instanceof SafetensorsError) throw new FormatError(`${source}: ${e.message}`);
    throw e;
  }
  const text = metadata[GRAPH_METADATA_KEY];
  if (text === undefined) return null;
  let data: unknown;
  try {
    data = parseUntrustedJson(text, `${source}: the graph in its metadata`);
  } catch (e) {
    throw new FormatError((e as Error).message);
  }
  return parseGraph(data, `the graph in ${source}`);
}
