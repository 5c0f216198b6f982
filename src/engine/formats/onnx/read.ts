import { FormatError } from '../types';
import {
  AttrType,
  DataType,
  onnx,
  toNumber,
  type AttributeProto,
  type ModelProto,
  type NodeProto,
  type TensorProto,
} from './proto';

/** A constant of the ONNX file (an initializer or a Constant node's value): its dims and its values as float64 numbers. */
export interface OnnxConstant {
  dims: number[];
  values: Float64Array;
}

/**
 * Decodes ONNX bytes into a model, refusing bytes that are not an ONNX protobuf. protobufjs reads any
 * bytes that happen to parse as some message, so the result must also look like a model: a graph, an
 * IR version and an operator set.
 */
export function decodeModel(bytes: Uint8Array): ModelProto {
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new FormatError(`not an ONNX model: the bytes are not a valid protobuf message (${(e as Error).message})`);
  }
  if (!model.graph || toNumber(model.irVersion) <= 0 || !model.opsetImport?.length) {
    throw new FormatError('not an ONNX model: it has no graph, IR version or operator set');
  }
  return model;
}

/** The opset version of the default ONNX domain ('' or 'ai.onnx'). */
export function defaultOpset(model: ModelProto): number {
  const entry = model.opsetImport!.find((o) => !o.domain || o.domain === 'ai.onnx');
  if (!entry) throw new FormatError('the ONNX model does not import the standard operator set (domain ai.onnx)');
  return toNumber(entry.version);
}

const ELEMENT_SIZE: Partial<Record<number, number>> = {
  [DataType.FLOAT]: 4,
  [DataType.DOUBLE]: 8,
  [DataType.INT32]: 4,
  [DataType.INT64]: 8,
};

/**
 * A TensorProto's values. Reads float32, float64, int32 and int64 from raw_data (little-endian) or from
 * the typed fields; refuses other types and external data (an import never opens another file).
 * NaN and infinities are refused here, so that no weight of an imported network is ever non-finite.
 */
export function readTensor(t: TensorProto, what: string): OnnxConstant {
  const dims = (t.dims ?? []).map((d) => toNumber(d));
  if (dims.some((d) => !Number.isSafeInteger(d) || d < 0))
    throw new FormatError(`${what}: dims [${dims.join(', ')}] are not sizes`);
  if (t.dataLocation === 1 || (t.externalData?.length ?? 0) > 0) {
    throw new FormatError(
      `${what}: its data is stored in an external file, which Convas does not read; save the model with its weights inside`,
    );
  }
  const count = dims.reduce((a, b) => a * b, 1);
  const type = t.dataType ?? 0;
  const size = ELEMENT_SIZE[type];
  if (size === undefined) {
    const typeName = Object.entries(onnx.TensorProto.DataType).find(([, v]) => v === type)?.[0] ?? String(type);
    throw new FormatError(`${what}: data type ${typeName} is not supported (float32, float64, int32 and int64 are)`);
  }
  // Sizes are checked against the data before anything is allocated, so that a lying header costs nothing.
  const raw = t.rawData;
  let values: Float64Array;
  if (raw && raw.length > 0) {
    if (raw.length !== count * size) {
      throw new FormatError(`${what}: ${raw.length} bytes of data, but dims [${dims.join(', ')}] need ${count * size}`);
    }
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    values = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      if (type === DataType.FLOAT) values[i] = view.getFloat32(i * 4, true);
      else if (type === DataType.DOUBLE) values[i] = view.getFloat64(i * 8, true);
      else if (type === DataType.INT32) values[i] = view.getInt32(i * 4, true);
      else values[i] = Number(view.getBigInt64(i * 8, true));
    }
  } else {
    const field =
      type === DataType.FLOAT
        ? t.floatData
        : type === DataType.DOUBLE
          ? t.doubleData
          : type === DataType.INT32
            ? t.int32Data
            : t.int64Data;
    const list = (field ?? []) as (number | { toNumber(): number })[];
    if (list.length !== count)
      throw new FormatError(`${what}: ${list.length} values, but dims [${dims.join(', ')}] need ${count}`);
    values = Float64Array.from(list, (v) => (type === DataType.FLOAT ? Math.fround(toNumber(v)) : toNumber(v)));
  }
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new FormatError(`${what}: value ${bad} is ${values[bad]}; weights must be finite numbers`);
  return { dims, values };
}

/** The attributes of a node, read by name with a default, type-checked, with the node named in errors. */
export class Attributes {
  private readonly byName = new Map<string, AttributeProto>();

  constructor(
    node: NodeProto,
    private readonly where: string,
  ) {
    for (const a of node.attribute ?? []) this.byName.set(a.name ?? '', a);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  private get(name: string, type: number, typeName: string): AttributeProto | undefined {
    const a = this.byName.get(name);
    if (a && a.type !== type) throw new FormatError(`${this.where}: attribute '${name}' should be ${typeName}`);
    return a;
  }

  int(name: string, fallback: number): number {
    const a = this.get(name, AttrType.INT, 'an integer');
    return a ? toNumber(a.i) : fallback;
  }

  float(name: string, fallback: number): number {
    const a = this.get(name, AttrType.FLOAT, 'a float');
    return a ? (a.f ?? 0) : fallback;
  }

  ints(name: string, fallback: number[] | null): number[] | null {
    const a = this.get(name, AttrType.INTS, 'a list of integers');
    return a ? (a.ints ?? []).map((v) => toNumber(v)) : fallback;
  }

  floats(name: string, fallback: number[] | null): number[] | null {
    const a = this.get(name, AttrType.FLOATS, 'a list of floats');
    return a ? [...(a.floats ?? [])] : fallback;
  }

  string(name: string, fallback: string): string {
    const a = this.get(name, AttrType.STRING, 'a string');
    return a ? new TextDecoder().decode(a.s ?? new Uint8Array()) : fallback;
  }

  tensor(name: string): TensorProto | null {
    return this.get(name, AttrType.TENSOR, 'a tensor')?.t ?? null;
  }

  /** The names of attributes present, for refusing ones a rule does not understand. */
  names(): string[] {
    return [...this.byName.keys()];
  }
}
