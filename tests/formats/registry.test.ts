import { describe, expect, it } from 'vitest';
import { GraphError, tensor } from '../../src/engine';
import { exportNetwork, FormatError, getFormat, listFormats, registerFormat } from '../../src/engine/formats';
import { chain } from '../helpers/graphs';
import { GRAPHS, reference } from './fixtures';

/** The export registry: what the export dialog and `convas export --format` list, and the checks every export passes first. */
describe('export format registry', () => {
  it('lists ONNX, TF.js, safetensors and PyTorch with a label, extensions and what each preserves', () => {
    expect(listFormats().map((f) => f.id)).toEqual(['onnx', 'tfjs', 'safetensors', 'pytorch']);
    for (const f of listFormats()) {
      expect(f.label.length, f.id).toBeGreaterThan(2);
      expect(f.preserves.length, f.id).toBeGreaterThan(40);
      expect(
        f.extensions.every((e) => /^\.[a-z]+$/.test(e)),
        f.id,
      ).toBe(true);
    }
    expect(getFormat('onnx')!.singleFile).toBe(true);
    expect(getFormat('keras')).toBeUndefined();
  });

  it('every format writes only files with the extensions it declares', () => {
    const { weights } = reference(GRAPHS.mlp, 1);
    for (const f of listFormats()) {
      const files = exportNetwork(f.id, GRAPHS.mlp, weights);
      expect(files.length === 1, f.id).toBe(f.singleFile);
      for (const file of files)
        expect(
          f.extensions.some((e) => file.name.endsWith(e)),
          `${f.id}: ${file.name}`,
        ).toBe(true);
    }
  });

  it('refuses a second format with the same id', () => {
    expect(() => registerFormat(getFormat('onnx')!)).toThrow(/export format 'onnx' is registered twice/);
  });

  it('names files after the name given, else the graph, made safe for any file system', () => {
    const { weights } = reference(GRAPHS.mlp, 1);
    expect(exportNetwork('onnx', GRAPHS.mlp, weights, { name: 'my model/v2' })[0].name).toBe('my_model_v2.onnx');
    expect(exportNetwork('onnx', { ...GRAPHS.mlp, name: undefined }, weights)[0].name).toBe('model.onnx');
  });
});

describe('exportNetwork checks before it writes anything', () => {
  const { weights } = reference(GRAPHS.mlp, 1);

  it('an unknown format, listing the known ones', () => {
    expect(() => exportNetwork('keras', GRAPHS.mlp, weights)).toThrow(
      /unknown export format 'keras'; choose one of onnx, tfjs, safetensors, pytorch/,
    );
  });

  it('weights that are missing, misshapen or not finite', () => {
    const missing = { ...weights };
    delete missing['scores.bias'];
    expect(() => exportNetwork('onnx', GRAPHS.mlp, missing)).toThrow(FormatError);
    expect(() => exportNetwork('onnx', GRAPHS.mlp, missing)).toThrow(/has no tensor 'scores\.bias'/);
    expect(() => exportNetwork('tfjs', GRAPHS.mlp, { ...weights, 'hidden.kernel': tensor([32, 783]) })).toThrow(
      /'hidden\.kernel' has shape \[32×783\], the graph needs \[32×784\]/,
    );
    const nan = tensor([10], new Float32Array(10).fill(Infinity));
    expect(() => exportNetwork('pytorch', GRAPHS.mlp, { ...weights, 'scores.bias': nan })).toThrow(
      /'scores\.bias' holds Infinity at index 0/,
    );
  });

  it('a graph that breaks the schema, such as an id that could inject code into generated Python', () => {
    const evil = chain(['x', 'input', { height: 2, width: 2 }], ['a"]\nimport os#', 'relu']);
    expect(() => exportNetwork('pytorch', evil, {})).toThrow(/the graph to export is not a valid Convas graph/);
  });

  it('a graph that does not compile, naming the node', () => {
    const broken = chain(['x', 'input', { height: 4, width: 4 }], ['fc', 'dense', { units: 2 }]);
    expect(() => exportNetwork('onnx', broken, {})).toThrow(GraphError);
    expect(() => exportNetwork('onnx', broken, {})).toThrow(/'fc' \(Dense\): Dense needs a flat vector input/);
  });
});
