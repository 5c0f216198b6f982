import type { Tensor } from '../../tensor';
import { floatBytes } from '../bytes';
import { AttrType, DataType, type AttributeProto, type NodeProto, type TensorProto } from './proto';

/** An attribute value, tagged with its ONNX type: ONNX distinguishes 1 (INT) from 1.0 (FLOAT), JavaScript does not. */
export type Attr = { int: number } | { float: number } | { ints: readonly number[] } | { string: string };

function attribute(name: string, a: Attr): AttributeProto {
  if ('int' in a) return { name, type: AttrType.INT, i: a.int };
  if ('float' in a) return { name, type: AttrType.FLOAT, f: a.float };
  if ('ints' in a) return { name, type: AttrType.INTS, ints: [...a.ints] };
  return { name, type: AttrType.STRING, s: new TextEncoder().encode(a.string) };
}

/**
 * Collects the nodes and initializers of an ONNX graph as the exporter walks the Convas graph.
 * Value names are Convas node ids (the output of node `conv1` is the value `conv1`) and initializer
 * names are Convas weight names (`conv1.kernel`); the two never clash, because ids contain no dot.
 */
export class OnnxBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];

  node(
    opType: string,
    name: string,
    inputs: readonly string[],
    outputs: readonly string[],
    attrs: Record<string, Attr> = {},
  ): void {
    this.nodes.push({
      opType,
      name,
      input: [...inputs],
      output: [...outputs],
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
  }

  /** A float32 initializer; returns its name for use as a node input. */
  weight(name: string, t: Tensor): string {
    this.initializers.push({ name, dims: [...t.shape], dataType: DataType.FLOAT, rawData: floatBytes(t.data) });
    return name;
  }
}
