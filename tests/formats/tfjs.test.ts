import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportNetwork, FormatError } from '../../src/engine/formats';
import { transpose } from '../../src/engine/formats/layout';
import { tensor } from '../../src/engine';
import { chain } from '../helpers/graphs';
import { expectAllClose, GRAPHS, reference, toNhwc } from './fixtures';

/**
 * The TF.js export is loaded by @tensorflow/tfjs's own loadLayersModel (from memory: there is no
 * tfjs-node here) and run on the CPU backend; on 200 Fashion-MNIST test images, fed NHWC, its
 * predictions equal the engine's to 1e-4.
 */

beforeAll(async () => {
  tf.env().set('PROD', true); // mutes the "install tfjs-node" notice
  await tf.setBackend('cpu');
  await tf.ready();
});

/** Loads the exported model.json + weights.bin exactly as a browser would read them from disk. */
async function load(files: { name: string; bytes: Uint8Array }[]): Promise<tf.LayersModel> {
  const json = JSON.parse(new TextDecoder().decode(files.find((f) => f.name.endsWith('.json'))!.bytes));
  const manifest = json.weightsManifest[0];
  const bin = files.find((f) => f.name === manifest.paths[0]);
  expect(bin, `the manifest's weights file ${manifest.paths[0]} is among the exported files`).toBeDefined();
  const weightData = bin!.bytes.slice().buffer;
  return tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: manifest.weights, weightData }),
  );
}

describe('TF.js Layers export, loaded by tf.loadLayersModel', () => {
  for (const [key, graph] of Object.entries(GRAPHS)) {
    it(`${key}: 200 test images agree to 1e-4`, async () => {
      const { weights, x, want } = reference(graph);
      const files = exportNetwork('tfjs', graph, weights);
      expect(files.map((f) => f.name)).toEqual(['model.json', 'weights.bin']);
      const model = await load(files);
      const input =
        x.shape.length === 4
          ? tf.tensor4d(toNhwc(x), [x.shape[0], x.shape[2], x.shape[3], x.shape[1]])
          : tf.tensor2d(x.data, [x.shape[0], x.shape[1]]);
      const out = model.predict(input) as tf.Tensor;
      expect(out.shape).toEqual(want.shape);
      const worst = expectAllClose(out.dataSync(), want, 1e-4, `${key} in TF.js`);
      console.log(`TF.js ${key}: worst |tfjs − engine| = ${worst.toExponential(2)}`);
      tf.dispose([input, out]);
      model.dispose();
    });
  }

  it('permutes NHWC maps to channels-first before Flatten, so the dense kernels keep their order', () => {
    const { weights } = reference(GRAPHS.lenet, 1);
    const json = JSON.parse(new TextDecoder().decode(exportNetwork('tfjs', GRAPHS.lenet, weights)[0].bytes));
    const layers = json.modelTopology.config.layers as {
      class_name: string;
      name: string;
      config: Record<string, unknown>;
    }[];
    const at = layers.findIndex((l) => l.class_name === 'Flatten');
    expect(layers[at - 1]).toMatchObject({ class_name: 'Permute', name: 'flat_chw', config: { dims: [3, 1, 2] } });
    // Conv kernels leave as [KH, KW, C, F], dense kernels as [in, out].
    const specs = json.weightsManifest[0].weights as { name: string; shape: number[] }[];
    expect(specs.find((s) => s.name === 'conv2/kernel')!.shape).toEqual([3, 3, 6, 8]);
    expect(specs.find((s) => s.name === 'fc1/kernel')!.shape).toEqual([392, 24]);
    expect(specs.find((s) => s.name === 'bn1/moving_variance')!.shape).toEqual([6]);
  });

  it('numeric conv padding becomes a ZeroPadding2D layer', () => {
    const { weights } = reference(GRAPHS.residual, 1);
    const json = JSON.parse(new TextDecoder().decode(exportNetwork('tfjs', GRAPHS.residual, weights)[0].bytes));
    const layers = json.modelTopology.config.layers as {
      class_name: string;
      name: string;
      config: Record<string, unknown>;
    }[];
    expect(layers.find((l) => l.name === 'stem_pad')).toMatchObject({
      class_name: 'ZeroPadding2D',
      config: {
        padding: [
          [1, 1],
          [1, 1],
        ],
      },
    });
  });

  it('refuses pooling padding that TF.js cannot express, naming the node', () => {
    const graph = chain(
      ['x', 'input', { channels: 1, height: 6, width: 6 }],
      ['pool', 'maxpool2d', { size: 2, stride: 2, padding: 1 }],
      ['f', 'flatten'],
    );
    expect(() => exportNetwork('tfjs', graph, {})).toThrow(FormatError);
    expect(() => exportNetwork('tfjs', graph, {})).toThrow(/node 'pool': TF\.js pooling can pad only the 'same' way/);
  });
});

describe('transpose', () => {
  it('moves [F, C, KH, KW] to [KH, KW, C, F] element by element', () => {
    const t = tensor(
      [2, 3, 2, 2],
      Float32Array.from({ length: 24 }, (_, i) => i),
    );
    const u = transpose(t, [2, 3, 1, 0]);
    expect(u.shape).toEqual([2, 2, 3, 2]);
    for (let f = 0; f < 2; f++)
      for (let c = 0; c < 3; c++)
        for (let y = 0; y < 2; y++)
          for (let x = 0; x < 2; x++)
            expect(u.data[((y * 2 + x) * 3 + c) * 2 + f]).toBe(t.data[((f * 3 + c) * 2 + y) * 2 + x]);
  });
});
