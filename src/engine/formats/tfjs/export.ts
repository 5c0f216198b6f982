import { modelInfoEntries } from '../model-info';
import type { Tensor } from '../../tensor';
import { floatBytes } from '../bytes';
import type { ExportContext, ExportFormat } from '../types';
import { tfjsEmitter, type KerasLayer, type TfjsWeight } from './export-layers';

/** The tfjs-layers version whose format this writes (the keras_version field of model.json). */
const TFJS_LAYERS_VERSION = 'tfjs-layers 4.22.0';

/** A TF.js Layers model: model.json's topology and weights manifest, and the weights in manifest order. */
export interface TfjsModel {
  modelTopology: Record<string, unknown>;
  weights: TfjsWeight[];
}

/**
 * The Keras functional model of a checked graph. TF.js runs NHWC, so the model's input is
 * [batch, H, W, C] (or [batch, F] for a vector input); every rule converts its weights to TF.js layouts.
 */
export function buildTfjsModel({ graph, compiled, weights }: ExportContext): TfjsModel {
  const layers: KerasLayer[] = [];
  const out: TfjsWeight[] = [];
  const used = new Set<string>();
  const unique = (name: string) => {
    let n = name;
    for (let k = 2; used.has(n); k++) n = `${name}_${k}`;
    used.add(n);
    return n;
  };
  // Reserve every node id first, so that a helper layer ('conv1_pad') never takes the name of a later node.
  for (const node of compiled.nodes) used.add(node.id);
  const add = (
    className: string,
    name: string,
    config: Record<string, unknown>,
    inputs: string[],
    w: Record<string, Tensor> = {},
  ) => {
    const layerName = compiled.byId.has(name) ? name : unique(name);
    layers.push({
      class_name: className,
      name: layerName,
      config: { name: layerName, trainable: true, ...config },
      inbound_nodes: inputs.length
        ? [inputs.map((i) => [i, 0, 0, {}] as [string, number, number, Record<string, never>])]
        : [],
    });
    for (const [k, v] of Object.entries(w)) out.push({ name: `${layerName}/${k}`, value: v });
    return layerName;
  };

  // Which Keras layer holds each Convas node's output (a no-op node points at its input's layer).
  const holder = new Map<string, string>();
  for (const node of compiled.nodes) {
    if (node.id === compiled.inputId) {
      const s = compiled.inputShape;
      const batchInputShape = s.length === 3 ? [null, s[1], s[2], s[0]] : [null, ...s];
      holder.set(
        node.id,
        add('InputLayer', node.id, { batch_input_shape: batchInputShape, dtype: 'float32', sparse: false }, []),
      );
      continue;
    }
    const mine: Record<string, Tensor> = {};
    for (const spec of node.weightSpecs) mine[spec.name] = weights[`${node.id}.${spec.name}`];
    const inputs = node.inputs.map((i) => holder.get(i)!);
    holder.set(node.id, tfjsEmitter(node)({ node, inputs, weights: mine, add }));
  }

  const modelTopology = {
    class_name: 'Model',
    config: {
      name: graph.name ?? 'convas',
      layers,
      input_layers: [[holder.get(compiled.inputId)!, 0, 0]],
      output_layers: [[holder.get(compiled.outputId)!, 0, 0]],
    },
    keras_version: TFJS_LAYERS_VERSION,
    backend: 'tensor_flow.js',
  };
  return { modelTopology, weights: out };
}

const encoder = new TextEncoder();

export const tfjsFormat: ExportFormat = {
  id: 'tfjs',
  label: 'TensorFlow.js (Layers)',
  extensions: ['.json', '.bin'],
  preserves:
    'The graph as a Keras functional model (Conv2D, DepthwiseConv2D, pooling, Dense, activations, BatchNormalization, Dropout, Add, Concatenate) with every weight in float32, transposed to TF.js layouts; its input is NHWC; the class names and input convention are in userDefinedMetadata. Not the optimizer state, nor Convas names and positions.',
  singleFile: false,
  export(ctx) {
    const model = buildTfjsModel(ctx);
    // The names TF.js itself writes (model.save to a folder), so that loadLayersModel("./model.json") just works.
    const binName = 'weights.bin';
    const total = model.weights.reduce((a, w) => a + w.value.data.length, 0);
    const bin = new Uint8Array(total * 4);
    let offset = 0;
    for (const w of model.weights) {
      bin.set(floatBytes(w.value.data), offset);
      offset += w.value.data.length * 4;
    }
    const json = {
      format: 'layers-model',
      generatedBy: 'Convas',
      convertedBy: null,
      modelTopology: model.modelTopology,
      // Class names and the input convention (NHWC here), where tf.loadLayersModel users find them: model.json.
      userDefinedMetadata: modelInfoEntries(ctx.compiled, ctx.classes, 'NHWC'),
      weightsManifest: [
        {
          paths: [binName],
          weights: model.weights.map((w) => ({ name: w.name, shape: [...w.value.shape], dtype: 'float32' })),
        },
      ],
    };
    return [
      { name: 'model.json', bytes: encoder.encode(JSON.stringify(json)) },
      { name: binName, bytes: bin },
    ];
  },
};
