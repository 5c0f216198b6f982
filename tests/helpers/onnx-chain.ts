import { onnx } from '../../src/engine/formats/onnx/proto';

/**
 * An ONNX file of `length` Relu nodes in a chain, every one named `name` (a hostile or careless file: names are
 * optional and need not be unique), on a [batch, 4] input. For the import's running time in the number of nodes.
 */
export function reluChain(length: number, name = 'same'): Uint8Array {
  const value = (i: number) => (i === 0 ? 'x' : `v${i}`);
  const tensorInfo = (n: string) => ({
    name: n,
    type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'batch' }, { dimValue: 4 }] } } },
  });
  const node = Array.from({ length }, (_, i) => ({
    name,
    opType: 'Relu',
    input: [value(i)],
    output: [value(i + 1)],
  }));
  return onnx.ModelProto.encode(
    onnx.ModelProto.create({
      irVersion: 7,
      opsetImport: [{ domain: '', version: 13 }],
      graph: { name: 'chain', node, input: [tensorInfo('x')], output: [tensorInfo(value(length))] },
    }),
  ).finish();
}
