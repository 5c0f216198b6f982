import { importOnnx, type OnnxImport } from '../../engine/formats/onnx/import';
import { exportNetwork } from '../../engine/formats/registry';
import { importSafetensorsInto } from '../../engine/formats/safetensors-format';
import { FormatError } from '../../engine/formats/types';
import type { NamedWeights } from '../../engine/network';
import type { Graph } from '../../shared/graph';
import { readUntrustedFile, UntrustedFileError } from '../files/read-untrusted';
import { writeExport } from './write';

export { ExportWriteError, writeExport } from './write';

/** Model files larger than this are refused before they are read (2 GiB is also ONNX's protobuf limit). */
export const MAX_MODEL_BYTES = 2 * 1024 * 1024 * 1024 - 1;

/**
 * Exports `graph` with `weights` in format `formatId` to `outPath`: the file itself for a single-file
 * format (ONNX), else a folder that receives the files. Nothing is written unless the export succeeds,
 * and an earlier export at the path stays intact if writing fails. Returns the paths written.
 */
export async function exportToPath(
  formatId: string,
  graph: Graph,
  weights: NamedWeights,
  outPath: string,
  options: { name?: string; classes?: readonly string[] } = {},
): Promise<string[]> {
  const files = exportNetwork(formatId, graph, weights, options);
  return writeExport(files, outPath);
}

/**
 * A model file's bytes: a regular file (links followed; FIFOs and devices refused without blocking), never more
 * than `maxBytes` read. Every refusal names the file.
 */
export async function readModelFile(path: string, maxBytes = MAX_MODEL_BYTES): Promise<Uint8Array> {
  try {
    const { bytes } = await readUntrustedFile(path, { maxBytes });
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  } catch (e) {
    if (e instanceof UntrustedFileError) throw new FormatError(e.message);
    throw e;
  }
}

/** Opens an ONNX file as an editable graph with its weights (see importOnnx); errors name the file. */
export async function importOnnxFile(path: string): Promise<OnnxImport> {
  const bytes = await readModelFile(path);
  try {
    return importOnnx(bytes);
  } catch (e) {
    if (e instanceof FormatError) throw new FormatError(`${path}: ${e.message}`);
    throw e;
  }
}

/** Loads a safetensors file as the weights of `graph`, whose shapes must match (see importSafetensorsInto). */
export async function importSafetensorsFile(graph: Graph, path: string): Promise<NamedWeights> {
  return importSafetensorsInto(graph, await readModelFile(path), path);
}
