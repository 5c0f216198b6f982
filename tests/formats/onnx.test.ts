import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { getLayer, Network, resolveParams, Rng, tensor, type Tensor } from '../../src/engine';
import { exportNetwork, importOnnx } from '../../src/engine/formats';
import { onnx, type ModelProto, type NodeProto, type TensorProto } from '../../src/engine/formats/onnx/proto';
import type { Graph } from '../../src/shared/graph';
import { chain } from '../helpers/graphs';
import { data, expectAllClose, GRAPHS, reference } from './fixtures';

/**
 * ONNX export is checked by running the file in onnxruntime-node (CPU): on 200 Fashion-MNIST test
 * images its predictions equal the engine's to 1e-4. Import is checked both ways: a Convas-made file
 * comes back as the same graph with the same predictions, and a file written the way other tools write
 * ONNX (PyTorch-style names, auto_pad, MatMul + Add, a Constant-shaped Reshape, Gemm without transB,
 * GlobalAveragePool) imports to a network that agrees with onnxruntime on the same file.
 */

async function runOrt(bytes: Uint8Array, x: Tensor): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', x.data, [...x.shape]) };
    const out = (await session.run(feeds))[session.outputNames[0]];
    return { data: out.data as Float32Array, dims: out.dims };
  } finally {
    await session.release();
  }
}

function onnxBytes(graph: Graph, weights: Record<string, Tensor>): Uint8Array {
  const files = exportNetwork('onnx', graph, weights);
  expect(files.map((f) => f.name)).toEqual([`${graph.name}.onnx`]);
  return files[0].bytes;
}

/** A node's params with every default filled in, for comparing an imported graph with the original. */
function resolved(graph: Graph) {
  return graph.nodes.map((n) => ({
    id: n.id,
    type: n.type,
    params: { ...resolveParams(getLayer(n.type)!, n.params) },
  }));
}

describe('ONNX export runs in onnxruntime-node with the engine’s predictions', () => {
  for (const [key, graph] of Object.entries(GRAPHS)) {
    it(`${key}: 200 test images agree to 1e-4, with a dynamic batch axis`, async () => {
      const { weights, x, want } = reference(graph);
      const out = await runOrt(onnxBytes(graph, weights), x);
      expect(out.dims).toEqual(want.shape);
      const worst = expectAllClose(out.data, want, 1e-4, `${key} in onnxruntime`);
      console.log(`ONNX ${key}: worst |onnxruntime − engine| = ${worst.toExponential(2)}`);
    });
  }

  it('writes the real structure: one ONNX operator per layer, opset 13, Dropout left out of the inference graph', () => {
    const { weights } = reference(GRAPHS.lenet, 1);
    const model = onnx.ModelProto.decode(onnxBytes(GRAPHS.lenet, weights));
    expect(Number(model.opsetImport[0]!.version)).toBe(13);
    expect(model.graph!.node!.map((n) => n.opType)).toEqual([
      'Conv',
      'BatchNormalization',
      'Relu',
      'MaxPool',
      'Conv',
      'LeakyRelu',
      'AveragePool',
      'Flatten',
      'Gemm',
      'BatchNormalization',
      'Sigmoid',
      'Gemm',
      'Tanh',
      'Gemm',
      'Softmax',
    ]);
    // The stride-2 'same' conv on 14×14 pads one pixel at the bottom/right only, as TensorFlow does.
    const conv2 = model.graph!.node!.find((n) => n.name === 'conv2')!;
    expect(conv2.attribute!.find((a) => a.name === 'pads')!.ints!.map(Number)).toEqual([0, 0, 1, 1]);
    // The Gemm after the left-out dropout reads the Flatten's output directly.
    expect(model.graph!.node!.find((n) => n.name === 'fc1')!.input![0]).toBe('flat');
  });

  it('a network ending in dropout still names its output after the output node', async () => {
    const graph = {
      ...chain(
        ['v', 'input', { vector: true, height: 1, width: 3 }],
        ['fc', 'dense', { units: 2 }],
        ['end', 'dropout'],
      ),
      name: 'tail',
    };
    const weights = { 'fc.kernel': tensor([2, 3], [1, 2, 3, 4, 5, 6]), 'fc.bias': tensor([2], [0.5, -0.5]) };
    const bytes = onnxBytes(graph, weights);
    const out = await runOrt(bytes, tensor([1, 3], [1, 1, 1]));
    expect(Array.from(out.data)).toEqual([6.5, 14.5]);
    expect(resolved(importOnnx(bytes).graph)).toEqual(resolved(graph));
  });
});

describe('ONNX import', () => {
  for (const [key, graph] of Object.entries(GRAPHS)) {
    it(`${key}: a Convas-made file comes back as the same graph with identical predictions`, () => {
      const { weights, x, want } = reference(graph, 50);
      const back = importOnnx(onnxBytes(graph, weights));
      expect(back.warnings).toEqual([]);
      expect(resolved(back.graph)).toEqual(resolved(graph));
      expect(back.graph.edges).toEqual(expect.arrayContaining(graph.edges));
      expect(back.graph.edges).toHaveLength(graph.edges.length);
      expect(back.graph.nodes.map((n) => n.position)).toEqual(graph.nodes.map((n) => n.position));
      const net = new Network(back.graph);
      net.setWeights(back.weights);
      expect(Array.from(net.predict(x).data)).toEqual(Array.from(want.data));
    });
  }

  it('without the Convas metadata, the structure alone still gives identical predictions (without the dropout)', () => {
    const { weights, x, want } = reference(GRAPHS.lenet, 50);
    const model = onnx.ModelProto.decode(onnxBytes(GRAPHS.lenet, weights));
    model.metadataProps = [];
    const back = importOnnx(onnx.ModelProto.encode(model).finish());
    expect(back.graph.nodes.map((n) => n.id)).toEqual(
      GRAPHS.lenet.nodes.map((n) => n.id).filter((id) => id !== 'drop'),
    );
    const net = new Network(back.graph);
    net.setWeights(back.weights);
    expect(Array.from(net.predict(x).data)).toEqual(Array.from(want.data));
  });

  it('metadata that disagrees with the ONNX graph cannot change what the network computes', () => {
    const { weights, x, want } = reference(GRAPHS.lenet, 50);
    const model = onnx.ModelProto.decode(onnxBytes(GRAPHS.lenet, weights));
    const lie = JSON.parse(model.metadataProps![0].value!);
    for (const n of lie.nodes)
      if (n.id === 'conv1') n.params = { filters: 99, kernelH: 7, kernelW: 7, padding: 3, init: 'glorot' };
    model.metadataProps![0].value = JSON.stringify(lie);
    const back = importOnnx(onnx.ModelProto.encode(model).finish());
    // Only what ONNX cannot say (the initialisation) comes from the metadata; the layer itself comes from the Conv node.
    expect(back.graph.nodes.find((n) => n.id === 'conv1')!.params).toMatchObject({
      filters: 6,
      kernelH: 3,
      kernelW: 3,
      padding: 1,
      init: 'glorot',
    });
    const net = new Network(back.graph);
    net.setWeights(back.weights);
    expect(Array.from(net.predict(x).data)).toEqual(Array.from(want.data));
  });

  it('reads a PyTorch-style file (auto_pad, fused bias Add, Constant reshape, MatMul + Add, Gemm transB=0) and agrees with onnxruntime', async () => {
    const bytes = foreignModel();
    const back = importOnnx(bytes);
    expect(back.graph.nodes.map((n) => n.type)).toEqual([
      'input',
      'conv2d',
      'batchnorm',
      'relu',
      'conv2d',
      'maxpool2d',
      'flatten',
      'dense',
      'leaky_relu',
      'dropout',
      'dense',
      'softmax',
    ]);
    // ONNX names are made valid ids: PyTorch's '/features/conv/Conv' is module features.conv's, 'input.1' → 'input_1'.
    expect(back.graph.nodes[0].id).toBe('input_1');
    expect(back.graph.nodes[1].id).toBe('features_conv');
    expect(back.graph.nodes[1].params.padding).toBe('same');
    expect(back.graph.nodes[4].params).toMatchObject({ padding: 'same', stride: 2, bias: true });
    expect(back.graph.nodes[7].params).toMatchObject({ units: 32, bias: true });
    const x = data(100).test.x;
    const net = new Network(back.graph);
    net.setWeights(back.weights);
    const got = net.predict(x);
    const ref = await runOrt(bytes, x);
    expectAllClose(ref.data, got, 1e-4, 'imported PyTorch-style model vs onnxruntime');
  });

  it('reads GlobalAveragePool, a 3-channel input and a network without softmax', async () => {
    const rng = new Rng(5);
    const bytes = model(
      'input',
      [3, 8, 8],
      'out',
      [
        node('Conv', 'c', ['input', 'w', 'b'], ['c'], { pads: [1, 1, 1, 1] }),
        node('Sigmoid', 's', ['c'], ['s']),
        node('GlobalAveragePool', 'gap', ['s'], ['gap']),
        node('Flatten', 'f', ['gap'], ['f']),
        node('Gemm', 'fc', ['f', 'fw', 'fb'], ['fc'], { transB: 1 }),
        node('Tanh', 'out', ['fc'], ['out']),
      ],
      [init('w', [4, 3, 3, 3], rng), init('b', [4], rng), init('fw', [5, 4], rng), init('fb', [5], rng)],
      [5],
    );
    const back = importOnnx(bytes);
    expect(back.graph.nodes.find((n) => n.id === 'gap')!.type).toBe('globalavgpool');
    const x = tensor(
      [4, 3, 8, 8],
      Float32Array.from({ length: 4 * 192 }, () => rng.uniform(0, 1)),
    );
    const net = new Network(back.graph);
    net.setWeights(back.weights);
    expectAllClose((await runOrt(bytes, x)).data, net.predict(x), 1e-4, 'GlobalAveragePool model');
  });
});

describe('ONNX import refuses bad files with the reason', () => {
  const rng = new Rng(9);
  const small = (nodes: NodeProto[], inits: TensorProto[] = []) => model('x', [1, 4, 4], 'y', nodes, inits, [1, 4, 4]);

  it('an unknown operator, named', () => {
    const bytes = small([node('Resize', 'up', ['x'], ['y'])]);
    expect(() => importOnnx(bytes)).toThrow(
      /ONNX node 'up' \(Resize\): the ONNX operator 'Resize' is not supported; Convas reads .*Conv/,
    );
  });

  it('an operator from another domain', () => {
    const bytes = small([{ ...node('FusedConv', 'fc', ['x'], ['y']), domain: 'com.microsoft' }]);
    expect(() => importOnnx(bytes)).toThrow(/'com\.microsoft\.FusedConv' is not a standard ONNX operator/);
  });

  it('bytes that are not protobuf, and a truncated file', () => {
    expect(() => importOnnx(new TextEncoder().encode('this is a text file, not a model'))).toThrow(/not an ONNX model/);
    expect(() => importOnnx(Uint8Array.from({ length: 64 }, (_, i) => (i * 97 + 13) % 256))).toThrow(
      /not an ONNX model/,
    );
    const { weights } = reference(GRAPHS.mlp, 1);
    const good = onnxBytes(GRAPHS.mlp, weights);
    expect(() => importOnnx(good.subarray(0, Math.floor(good.length / 2)))).toThrow(/not an ONNX model/);
  });

  it('NaN weights', () => {
    const w = init('w', [1, 1, 1, 1], rng);
    w.rawData = new Uint8Array(new Float32Array([NaN]).buffer);
    const bytes = small([node('Conv', 'conv', ['x', 'w'], ['y'])], [w]);
    expect(() => importOnnx(bytes)).toThrow(/initializer 'w': value 0 is NaN; weights must be finite numbers/);
  });

  it('a weight whose data disagrees with its shape', () => {
    const w = init('w', [1, 1, 3, 3], rng);
    w.rawData = w.rawData!.subarray(0, 20);
    const bytes = small([node('Conv', 'conv', ['x', 'w'], ['y'], { pads: [1, 1, 1, 1] })], [w]);
    expect(() => importOnnx(bytes)).toThrow(/initializer 'w': 20 bytes of data, but dims \[1, 1, 3, 3\] need 36/);
  });

  it('a weight whose shape or dtype disagrees with the graph', () => {
    const threeChannels = small(
      [node('Conv', 'conv', ['x', 'w'], ['y'], { pads: [1, 1, 1, 1] })],
      [init('w', [1, 3, 3, 3], rng)],
    );
    expect(() => importOnnx(threeChannels)).toThrow(
      /ONNX node 'conv' \(Conv\): the kernel has 3 input channels, the input has 1/,
    );
    const int8: TensorProto = { name: 'w', dims: [1, 1, 1, 1], dataType: 3, rawData: new Uint8Array([1]) };
    expect(() => importOnnx(small([node('Conv', 'conv', ['x', 'w'], ['y'])], [int8]))).toThrow(
      /initializer 'w': data type INT8 is not supported/,
    );
  });

  it('weights in an external file, which an import never opens', () => {
    const w: TensorProto = {
      name: 'w',
      dims: [1, 1, 1, 1],
      dataType: 1,
      dataLocation: 1,
      externalData: [{ key: 'location', value: '/etc/passwd' }],
    };
    const bytes = small([node('Conv', 'conv', ['x', 'w'], ['y'])], [w]);
    expect(() => importOnnx(bytes)).toThrow(/external file/);
  });

  it('layer settings Convas has no equivalent for, naming the node and the setting', () => {
    const w = init('w', [2, 1, 3, 3], rng);
    const grouped = model(
      'x',
      [3, 4, 4],
      'y',
      [node('Conv', 'g', ['x', 'w'], ['y'], { group: 2, pads: [1, 1, 1, 1] })],
      [w],
      [2, 4, 4],
    );
    expect(() => importOnnx(grouped)).toThrow(
      /ONNX node 'g' \(Conv\): group=2 with a kernel of 1 input channels per group does not fit an input of 3 channels/,
    );
    const dilated = small(
      [node('Conv', 'd', ['x', init('k', [1, 1, 3, 3], rng).name!], ['y'], { dilations: [2, 2] })],
      [init('k', [1, 1, 3, 3], rng)],
    );
    expect(() => importOnnx(dilated)).toThrow(/ONNX node 'd' \(Conv\): dilations \[2, 2\] is not supported/);
    const lopsided = small(
      [node('Conv', 'p', ['x', init('k', [1, 1, 3, 3], rng).name!], ['y'], { pads: [2, 0, 0, 2] })],
      [init('k', [1, 1, 3, 3], rng)],
    );
    expect(() => importOnnx(lopsided)).toThrow(/ONNX node 'p' \(Conv\): pads \[2, 0, 0, 2\]/);
  });
});

// ---------------------------------------------------------------------------------------------------
// Hand-built ONNX files, as another tool would write them.

type AttrValue = number | number[] | string;

function node(
  opType: string,
  name: string,
  input: string[],
  output: string[],
  attrs: Record<string, AttrValue> = {},
): NodeProto {
  const attribute = Object.entries(attrs).map(([k, v]) => {
    if (typeof v === 'string') return { name: k, type: 3, s: new TextEncoder().encode(v) };
    if (Array.isArray(v)) return { name: k, type: 7, ints: v };
    return Number.isInteger(v) && k !== 'alpha' && k !== 'beta' && k !== 'epsilon' && k !== 'momentum'
      ? { name: k, type: 2, i: v }
      : { name: k, type: 1, f: v };
  });
  return { opType, name, input, output, attribute };
}

function init(name: string, dims: number[], rng: Rng, scale = 0.5): TensorProto {
  const values = Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => rng.normal() * scale);
  return { name, dims, dataType: 1, rawData: new Uint8Array(values.buffer) };
}

function valueInfo(name: string, dims: number[]) {
  return {
    name,
    type: {
      tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'batch_size' }, ...dims.map((d) => ({ dimValue: d }))] } },
    },
  };
}

function model(
  inputName: string,
  inDims: number[],
  outputName: string,
  nodes: NodeProto[],
  inits: TensorProto[],
  outDims: number[],
): Uint8Array {
  const m: ModelProto = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'pytorch',
    graph: {
      name: 'main_graph',
      node: nodes,
      initializer: inits,
      input: [valueInfo(inputName, inDims)],
      output: [valueInfo(outputName, outDims)],
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(m)).finish();
}

/** A small CNN written the way torch.onnx.export writes one. */
function foreignModel(): Uint8Array {
  const rng = new Rng(3);
  const positive = (name: string, n: number): TensorProto => {
    const v = Float32Array.from({ length: n }, () => 0.5 + rng.next());
    return { name, dims: [n], dataType: 1, rawData: new Uint8Array(v.buffer) };
  };
  const shape: TensorProto = { name: '', dims: [2], dataType: 7, int64Data: [-1, 294] };
  return model(
    'input.1',
    [1, 28, 28],
    'output',
    [
      node(
        'Conv',
        '/features/conv/Conv',
        ['input.1', 'features.conv.weight', 'features.conv.bias'],
        ['/features/conv/Conv_output_0'],
        {
          auto_pad: 'SAME_UPPER',
          kernel_shape: [3, 3],
          strides: [1, 1],
        },
      ),
      node(
        'BatchNormalization',
        '/features/bn/BatchNormalization',
        ['/features/conv/Conv_output_0', 'onnx::BN_scale', 'onnx::BN_bias', 'onnx::BN_mean', 'onnx::BN_var'],
        ['/features/bn/BatchNormalization_output_0'],
        { epsilon: 1e-5, momentum: 0.9 },
      ),
      node(
        'Relu',
        '/features/relu/Relu',
        ['/features/bn/BatchNormalization_output_0'],
        ['/features/relu/Relu_output_0'],
      ),
      node(
        'Conv',
        '/features/conv2/Conv',
        ['/features/relu/Relu_output_0', 'features.conv2.weight'],
        ['/features/conv2/Conv_output_0'],
        {
          pads: [0, 0, 1, 1],
          strides: [2, 2],
        },
      ),
      node(
        'Add',
        '/features/conv2/Add',
        ['/features/conv2/Conv_output_0', 'features.conv2.bias'],
        ['/features/conv2/Add_output_0'],
      ),
      node('MaxPool', '/features/pool/MaxPool', ['/features/conv2/Add_output_0'], ['/features/pool/MaxPool_output_0'], {
        kernel_shape: [2, 2],
        strides: [2, 2],
        ceil_mode: 0,
      }),
      node('Identity', '/Identity', ['/features/pool/MaxPool_output_0'], ['/Identity_output_0']),
      {
        ...node('Constant', '/Constant', [], ['/Constant_output_0']),
        attribute: [{ name: 'value', type: 4, t: shape }],
      },
      node('Reshape', '/Reshape', ['/Identity_output_0', '/Constant_output_0'], ['/Reshape_output_0']),
      node(
        'MatMul',
        '/classifier/fc1/MatMul',
        ['/Reshape_output_0', 'onnx::MatMul_40'],
        ['/classifier/fc1/MatMul_output_0'],
      ),
      node(
        'Add',
        '/classifier/fc1/Add',
        ['classifier.fc1.bias', '/classifier/fc1/MatMul_output_0'],
        ['/classifier/fc1/Add_output_0'],
      ),
      node(
        'LeakyRelu',
        '/classifier/act/LeakyRelu',
        ['/classifier/fc1/Add_output_0'],
        ['/classifier/act/LeakyRelu_output_0'],
        { alpha: 0.2 },
      ),
      node(
        'Dropout',
        '/classifier/drop/Dropout',
        ['/classifier/act/LeakyRelu_output_0', 'ratio'],
        ['/classifier/drop/Dropout_output_0'],
      ),
      node(
        'Gemm',
        '/classifier/fc2/Gemm',
        ['/classifier/drop/Dropout_output_0', 'classifier.fc2.weight', 'classifier.fc2.bias'],
        ['/classifier/fc2/Gemm_output_0'],
        {
          alpha: 1,
          beta: 1,
          transB: 0,
        },
      ),
      node('Softmax', '/softmax/Softmax', ['/classifier/fc2/Gemm_output_0'], ['output']),
    ],
    [
      init('features.conv.weight', [4, 1, 3, 3], rng),
      init('features.conv.bias', [4], rng, 0.1),
      positive('onnx::BN_scale', 4),
      init('onnx::BN_bias', [4], rng, 0.1),
      init('onnx::BN_mean', [4], rng, 0.2),
      positive('onnx::BN_var', 4),
      init('features.conv2.weight', [6, 4, 3, 3], rng, 0.3),
      init('features.conv2.bias', [1, 6, 1, 1], rng, 0.1),
      init('onnx::MatMul_40', [294, 32], rng, 0.1),
      init('classifier.fc1.bias', [32], rng, 0.1),
      { name: 'ratio', dims: [], dataType: 1, floatData: [0.25] },
      init('classifier.fc2.weight', [32, 10], rng, 0.3),
      init('classifier.fc2.bias', [10], rng, 0.1),
    ],
    [10],
  );
}
