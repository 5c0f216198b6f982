import type { Graph } from '../../shared/graph';
import type { CompiledGraph } from '../graph';
import type { NamedWeights } from '../network';

/** One output file of an export: a name relative to the export's folder (no slashes) and its bytes. */
export interface ExportFile {
  name: string;
  bytes: Uint8Array;
}

/** Everything an exporter receives, already checked: the graph compiles and every weight is present, of the right shape and finite. */
export interface ExportContext {
  graph: Graph;
  compiled: CompiledGraph;
  weights: NamedWeights;
  /** A file-safe base name for the files ('model' unless the caller or the graph names it). */
  baseName: string;
  /** The class names in output order, when known (checked: one per output); written to every format's metadata. */
  classes?: readonly string[];
}

/**
 * One export format: what the export dialog and `convas export --format` list. Each lives in its own file
 * and is added to the registry in registry.ts, like the layers.
 */
export interface ExportFormat {
  /** The value of `--format`: 'onnx', 'tfjs', 'safetensors', 'pytorch'. */
  id: string;
  label: string;
  /** Extensions of the files it writes, main file first, with the dot ('.onnx'). */
  extensions: readonly string[];
  /** One sentence each: what survives the trip (structure, weights, training state) and what does not. */
  preserves: string;
  /** True when the export is a single file (the out path names it); otherwise the out path is a folder. */
  singleFile: boolean;
  export(ctx: ExportContext): ExportFile[];
}

/** A file that cannot be exported or imported, with the reason (and the node, tensor or operator at fault). */
export class FormatError extends Error {
  override name = 'FormatError';
}
