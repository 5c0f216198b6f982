import { parseGraph, type Graph } from '../../shared/graph';
import { compileGraph } from '../graph';
import type { NamedWeights } from '../network';
import { onnxFormat } from './onnx/export';
import { pytorchFormat } from './pytorch/export';
import { safetensorsFormat } from './safetensors-format';
import { tfjsFormat } from './tfjs/export';
import { FormatError, type ExportFile, type ExportFormat } from './types';
import { checkClasses } from './model-info';
import { checkWeights, fileBaseName } from './weights';

/**
 * The one list of export formats. The export dialog and `convas export --format` read it; adding a format
 * is adding its file and one line here.
 */
const registry = new Map<string, ExportFormat>();

export function registerFormat(format: ExportFormat): void {
  if (registry.has(format.id)) throw new Error(`export format '${format.id}' is registered twice`);
  registry.set(format.id, format);
}

for (const format of [onnxFormat, tfjsFormat, safetensorsFormat, pytorchFormat]) registerFormat(format);

export function getFormat(id: string): ExportFormat | undefined {
  return registry.get(id);
}

export function listFormats(): ExportFormat[] {
  return [...registry.values()];
}

/**
 * The files of `graph` with `weights` in format `formatId`. The graph must match the schema and compile,
 * and the weights must be exactly the graph's (names, shapes, finite values): an export never writes a
 * half-valid model. Throws SchemaError, GraphError or FormatError saying what is wrong.
 * `name` sets the files' base name (default: the graph's name, else 'model').
 */
export function exportNetwork(
  formatId: string,
  graph: Graph,
  weights: NamedWeights,
  options: { name?: string; classes?: readonly string[] } = {},
): ExportFile[] {
  const format = getFormat(formatId);
  if (!format) {
    throw new FormatError(
      `unknown export format '${formatId}'; choose one of ${listFormats()
        .map((f) => f.id)
        .join(', ')}`,
    );
  }
  // The schema first: ids and names end up inside generated source code (PyTorch) and file names, so only
  // ids the schema allows (a letter, then letters, digits, _ or -) may reach an exporter.
  const valid = parseGraph(graph, 'the graph to export');
  const compiled = compileGraph(valid);
  const checked = checkWeights(compiled, weights, 'the weights to export');
  if (options.classes) {
    try {
      checkClasses(compiled, options.classes);
    } catch (e) {
      throw new FormatError((e as Error).message);
    }
  }
  return format.export({
    graph: valid,
    compiled,
    weights: checked,
    baseName: fileBaseName(options.name ?? valid.name),
    ...(options.classes ? { classes: options.classes } : {}),
  });
}
