import type { Shape } from '../../tensor';
import { modelInfoEntries } from '../model-info';
import type { ExportContext, ExportFormat } from '../types';
import { OnnxBuilder } from './build';
import { onnxEmitter } from './export-layers';
import { DataType, onnx, type ModelProto, type ValueInfoProto } from './proto';

/** Opset 13 (ONNX 1.8) is run by every current runtime and has every operator the engine needs. */
export const ONNX_OPSET = 13;
/** IR version 7 goes with opset 13. */
const IR_VERSION = 7;
/** Metadata keys of a Convas-made ONNX file: the whole graph, so that names, positions and settings ONNX has no field for come back on import. */
export const ONNX_GRAPH_METADATA_KEY = 'convas.graph';

/** A float tensor value whose first axis is the batch, of any size ('batch'). */
function valueInfo(name: string, shape: Shape): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: DataType.FLOAT,
        shape: { dim: [{ dimParam: 'batch' }, ...shape.map((d) => ({ dimValue: d }))] },
      },
    },
  };
}

/** The ONNX model of a checked graph and its weights (the graph's real structure: one or two ONNX nodes per layer). */
export function buildOnnxModel({ graph, compiled, weights, classes }: ExportContext): ModelProto {
  const b = new OnnxBuilder();
  // The ONNX value holding each node's output: its id, unless the node wrote nothing (then its input's value).
  const valueOf = new Map<string, string>([[compiled.inputId, compiled.inputId]]);
  for (const node of compiled.nodes) {
    if (node.id === compiled.inputId) continue; // the graph input itself, named after the node
    const mine: ExportContext['weights'] = {};
    for (const spec of node.weightSpecs) mine[spec.name] = weights[`${node.id}.${spec.name}`];
    const inputs = node.inputs.map((i) => valueOf.get(i)!);
    valueOf.set(node.id, onnxEmitter(node)({ b, node, inputs, weights: mine }) ?? node.id);
  }
  // The graph output is named after the output node; if that node wrote nothing, an Identity gives the name.
  const last = valueOf.get(compiled.outputId)!;
  if (last !== compiled.outputId) b.node('Identity', compiled.outputId, [last], [compiled.outputId]);
  return {
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: 'Convas',
    producerVersion: '1',
    docString: graph.name ?? '',
    graph: {
      name: graph.name ?? 'convas',
      node: b.nodes,
      initializer: b.initializers,
      input: [valueInfo(compiled.inputId, compiled.inputShape)],
      output: [valueInfo(compiled.outputId, compiled.outputShape)],
    },
    metadataProps: [
      { key: ONNX_GRAPH_METADATA_KEY, value: JSON.stringify(graph) },
      ...Object.entries(modelInfoEntries(compiled, classes, 'NCHW')).map(([key, value]) => ({ key, value })),
    ],
  };
}

/** ONNX protobuf bytes of a model. */
export function encodeOnnx(model: ModelProto): Uint8Array {
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

export const onnxFormat: ExportFormat = {
  id: 'onnx',
  label: 'ONNX',
  extensions: ['.onnx'],
  preserves:
    'The inference graph (Conv with groups, MaxPool and AveragePool with ceil mode, global pooling, Gemm, activations, BatchNormalization, Flatten, Add, Concat; Dropout left out, as it does nothing at inference) and every weight in float32, NCHW input with any batch size; the Convas graph, the class names and the input convention ride along as metadata, so that a re-import restores dropout, names and positions. Not the optimizer state.',
  singleFile: true,
  export: (ctx) => [{ name: `${ctx.baseName}.onnx`, bytes: encodeOnnx(buildOnnxModel(ctx)) }],
};
