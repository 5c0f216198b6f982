import { describe, expect, it } from 'vitest';
import { listLayers, Network } from '../../src/engine';
import { decodeSafetensors, exportNetwork, importOnnx, listFormats } from '../../src/engine/formats';

import type { Graph } from '../../src/shared/graph';
import { chain, dag } from '../helpers/graphs';

/**
 * Every layer of the registry through every format, as the gradient check does for backward: a layer added without
 * an exporter rule (ONNX, TF.js, PyTorch), or one that does not come back from ONNX as itself, fails here. Each
 * layer gets the smallest graph that holds it; a layer missing from `graphs` fails the first test.
 */
const img = ['x', 'input', { channels: 4, height: 6, width: 6 }] as const;
const vec = ['x', 'input', { channels: 1, height: 1, width: 8, vector: true }] as const;
const merge = (type: string): Graph =>
  dag(
    [
      [...img],
      ['a', 'conv2d', { filters: 2, kernelH: 1, kernelW: 1 }],
      ['b', 'conv2d', { filters: 2, kernelH: 1, kernelW: 1 }],
      ['m', type],
    ],
    [
      ['x', 'a'],
      ['x', 'b'],
      ['a', 'm', 0],
      ['b', 'm', 1],
    ],
  );

const graphs: Record<string, Graph> = {
  input: chain([...img], ['f', 'flatten']),
  conv2d: chain([...img], ['c', 'conv2d', { filters: 4, stride: 2, padding: 1, groups: 4 }]),
  maxpool2d: chain([...img], ['p', 'maxpool2d', { size: 3, stride: 2, ceil: false }]),
  avgpool2d: chain([...img], ['p', 'avgpool2d', { size: 2, stride: 2 }]),
  globalavgpool: chain([...img], ['g', 'globalavgpool']),
  globalmaxpool: chain([...img], ['g', 'globalmaxpool']),
  flatten: chain([...img], ['f', 'flatten']),
  dense: chain([...vec], ['d', 'dense', { units: 3 }]),
  sigmoid: chain([...vec], ['s', 'sigmoid']),
  tanh: chain([...vec], ['t', 'tanh']),
  relu: chain([...vec], ['r', 'relu']),
  relu6: chain([...img], ['r', 'relu6']),
  leaky_relu: chain([...vec], ['l', 'leaky_relu', { slope: 0.2 }]),
  softmax: chain([...vec], ['s', 'softmax']),
  dropout: chain([...vec], ['d', 'dense', { units: 3 }], ['drop', 'dropout', { rate: 0.2 }], ['r', 'relu']),
  batchnorm: chain([...img], ['bn', 'batchnorm']),
  add: merge('add'),
  concat: merge('concat'),
};

describe('every registered layer in every format', () => {
  it('every layer in the registry has a graph here', () => {
    expect(listLayers().filter((d) => !graphs[d.type])).toEqual([]);
  });

  for (const def of listLayers()) {
    it(`${def.type}: every exporter writes it and ONNX import brings it back as ${def.type}`, () => {
      const graph = graphs[def.type];
      const weights = new Network(graph, 1).getWeights();
      for (const format of listFormats()) {
        const files = exportNetwork(format.id, graph, weights);
        expect(files.length, format.id).toBeGreaterThan(0);
        if (format.id === 'pytorch') {
          // The module code names the layer's PyTorch class or expression; an unknown layer would have thrown.
          const code = new TextDecoder().decode(files.find((f) => f.name === 'model.py')!.bytes);
          expect(code, 'model.py').toMatch(/class ConvasNet/);
        }
        if (format.id === 'safetensors') {
          const st = files.find((f) => f.name.endsWith('.safetensors'))!;
          expect(Object.keys(decodeSafetensors(st.bytes).tensors).sort()).toEqual(Object.keys(weights).sort());
        }
      }
      const [onnxFile] = exportNetwork('onnx', graph, weights);
      const back = importOnnx(onnxFile.bytes);
      expect(back.graph.nodes.map((n) => n.type)).toEqual(graph.nodes.map((n) => n.type));
      expect(
        back.graph.nodes.find((n) => n.type === def.type),
        def.type,
      ).toBeDefined();
    });
  }
});
