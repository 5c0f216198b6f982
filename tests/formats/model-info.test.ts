import { describe, expect, it } from 'vitest';
import { Network } from '../../src/engine';
import { classesFromSafetensors, exportNetwork, importOnnx } from '../../src/engine/formats';
import { chain } from '../helpers/graphs';

/**
 * Class names and the input convention travel with every export (docs/formats.md), and come back on import: a
 * user of the ONNX or TF.js file need not guess the labels or the scaling, and an imported project predicts names.
 */
const graph = chain(
  ['image', 'input', { channels: 1, height: 8, width: 8 }],
  ['conv', 'conv2d', { filters: 2, stride: 2, padding: 1 }],
  ['flat', 'flatten'],
  ['fc', 'dense', { units: 3 }],
  ['probs', 'softmax'],
);
const weights = new Network(graph, 1).getWeights();
const classes = ['cat', 'dog', 'ü "quoted", with commas'];
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('class names and the input convention in every format', () => {
  it('ONNX: metadata_props carry them, and import reads the class names back', () => {
    const [file] = exportNetwork('onnx', graph, weights, { classes });
    const back = importOnnx(file.bytes);
    expect(back.classes).toEqual(classes);
    expect(text(file.bytes)).toContain('"batch",1,8,8');
    expect(text(file.bytes)).toContain('pixel / 255');
    // Without names, nothing is invented.
    expect(importOnnx(exportNetwork('onnx', graph, weights)[0].bytes).classes).toBeNull();
  });

  it('safetensors: the __metadata__ carries them, and they read back', () => {
    for (const format of ['safetensors', 'pytorch']) {
      const st = exportNetwork(format, graph, weights, { classes }).find((f) => f.name.endsWith('.safetensors'))!;
      expect(classesFromSafetensors(st.bytes, 3), format).toEqual(classes);
      expect(classesFromSafetensors(st.bytes, 4, []), 'a network with another output count').toBeNull();
    }
  });

  it('TF.js: userDefinedMetadata in model.json, with the NHWC input shape', () => {
    const json = JSON.parse(text(exportNetwork('tfjs', graph, weights, { classes })[0].bytes)) as {
      userDefinedMetadata: Record<string, string>;
    };
    expect(JSON.parse(json.userDefinedMetadata.classes)).toEqual(classes);
    expect(json.userDefinedMetadata).toMatchObject({
      input_shape: '["batch",8,8,1]',
      input_layout: 'NHWC',
      input_range: '[0, 1]',
    });
  });

  it('PyTorch: model.py has CLASSES, INPUT_RANGE and preprocess()', () => {
    const py = text(exportNetwork('pytorch', graph, weights, { classes })[0].bytes);
    expect(py).toContain(`CLASSES = ${JSON.stringify(classes)}`);
    expect(py).toContain('INPUT_RANGE = (0.0, 1.0)');
    expect(py).toMatch(/def preprocess\(image\):/);
    const train = text(exportNetwork('pytorch', graph, weights)[1].bytes);
    expect(train).not.toMatch(/torchvision/);
    expect(train).toMatch(/from model import CLASSES, .*preprocess/);
  });

  it('refuses class names that do not match the outputs', () => {
    expect(() => exportNetwork('onnx', graph, weights, { classes: ['a', 'b'] })).toThrow(
      /2 class names for a network with 3 outputs/,
    );
  });

  it('ignores class names that do not fit the network, with a warning', () => {
    const warnings: string[] = [];
    const st = exportNetwork('safetensors', graph, weights, { classes })[0].bytes;
    expect(classesFromSafetensors(st, 2, warnings)).toBeNull();
    expect(warnings.join()).toMatch(/ignored the 3 class names in the file's metadata: the network has 2 outputs/);
  });
});
