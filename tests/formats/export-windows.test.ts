import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { Network, Rng, tensor, type Tensor } from '../../src/engine';
import { exportNetwork } from '../../src/engine/formats';
import { transpose } from '../../src/engine/formats/layout';
import type { Graph } from '../../src/shared/graph';
import { chain } from '../helpers/graphs';

/**
 * Floored and ceil-mode windows, grouped and depthwise convolution and the global pools, exported: onnxruntime-node
 * and TF.js's own loadLayersModel run the files with the engine's outputs (to 1e-5), and TF.js refuses, with the
 * reason, what Keras cannot express (ceil mode where it changes the size, groups other than depthwise).
 */
beforeAll(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
  await tf.ready();
});

const input = ['x', 'input', { channels: 3, height: 15, width: 13 }] as const;
/** Every case at once: 15×13 → depthwise s2 p1 (8×7) → grouped (floored s2: 3×3) → max-pool 2 (1×1 floored) … */
const keras: Graph = chain(
  [...input],
  ['dw', 'conv2d', { filters: 6, stride: 2, padding: 1, groups: 3 }],
  ['r', 'relu'],
  ['pw', 'conv2d', { filters: 8, kernelH: 1, kernelW: 1 }],
  ['r6', 'relu6'],
  ['floor', 'maxpool2d', { size: 3, stride: 2 }],
  ['gap', 'globalavgpool'],
  ['flat', 'flatten'],
  ['fc', 'dense', { units: 4 }],
);
const onnxOnly: Graph = chain(
  [...input],
  ['grouped', 'conv2d', { filters: 6, kernelH: 4, kernelW: 4, stride: 3, groups: 3 }],
  ['ceil', 'avgpool2d', { size: 2, stride: 2, ceil: true }],
  ['ceilmax', 'maxpool2d', { size: 2, stride: 1, ceil: true }],
  ['gmp', 'globalmaxpool'],
  ['flat', 'flatten'],
  ['fc', 'dense', { units: 4 }],
  ['p', 'softmax'],
);

function setup(graph: Graph): { net: Network; x: Tensor; want: Tensor } {
  const rng = new Rng(11);
  const net = new Network(graph, 5);
  const x = tensor(
    [3, 3, 15, 13],
    new Float32Array(3 * 3 * 15 * 13).map(() => rng.normal()),
  );
  return { net, x, want: net.predict(x) };
}

function worst(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let w = 0;
  for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i] - b[i]));
  return w;
}

describe('floored, ceil-mode, grouped and global windows, exported', () => {
  for (const [name, graph] of Object.entries({ keras, onnxOnly })) {
    it(`${name}: onnxruntime-node gives the engine's outputs`, async () => {
      const { net, x, want } = setup(graph);
      const [file] = exportNetwork('onnx', graph, net.getWeights());
      const session = await ort.InferenceSession.create(file.bytes);
      const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x.data, [...x.shape]) });
      await session.release();
      expect(worst(out[session.outputNames[0]].data as Float32Array, want.data)).toBeLessThan(1e-5);
    });
  }

  it("TF.js: DepthwiseConv2D, 'valid' flooring and the global pool give the engine's outputs", async () => {
    const { net, x, want } = setup(keras);
    const files = exportNetwork('tfjs', keras, net.getWeights());
    const json = JSON.parse(new TextDecoder().decode(files[0].bytes));
    expect(json.modelTopology.config.layers.map((l: { class_name: string }) => l.class_name)).toContain(
      'DepthwiseConv2D',
    );
    const manifest = json.weightsManifest[0];
    const model = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: json.modelTopology,
        weightSpecs: manifest.weights,
        weightData: files[1].bytes.slice().buffer,
      }),
    );
    const nhwc = transpose(x, [0, 2, 3, 1]);
    const input = tf.tensor4d(nhwc.data, nhwc.shape as [number, number, number, number]);
    const out = model.predict(input) as tf.Tensor;
    expect(worst(out.dataSync(), want.data)).toBeLessThan(1e-5);
    tf.dispose([input, out]);
    model.dispose();
  });

  it('TF.js refuses ceil mode where it changes the size, and groups other than depthwise, saying why', () => {
    const ceil = chain([...input], ['ceil', 'maxpool2d', { size: 2, stride: 2, ceil: true }], ['f', 'flatten']);
    expect(() => exportNetwork('tfjs', ceil, {})).toThrow(
      /node 'ceil': TF.js pooling has no ceil mode, and on a 15×13 input this 2×2 window with stride 2 needs it/,
    );
    const fits = chain(
      ['x', 'input', { channels: 1, height: 8, width: 8 }],
      ['ceil', 'maxpool2d', { size: 2, stride: 2, ceil: true }],
      ['f', 'flatten'],
    );
    expect(exportNetwork('tfjs', fits, {}).length).toBe(2);
    const grouped = chain([...input], ['g', 'conv2d', { filters: 6, groups: 3 }], ['h', 'conv2d', { groups: 2 }]);
    const w = new Network(grouped, 1).getWeights();
    expect(() => exportNetwork('tfjs', grouped, w)).toThrow(
      /node 'h': TF.js Layers has depthwise convolution \(groups = channels, 6\) but no grouped convolution with 2 groups/,
    );
  });
});
