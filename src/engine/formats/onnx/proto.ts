import onnxProto from 'onnx-proto';
import type { onnx as Schema } from 'onnx-proto';

/**
 * The ONNX protobuf schema (onnx.proto of ONNX 1.10, IR version 8), compiled to a protobufjs static module
 * by the onnx-proto package. The package is CommonJS without named exports that Node can detect, so it is
 * imported through its default export (module.exports) and the namespace read from that; this works alike
 * in Node, vitest and Vite. Decoding never evaluates anything from the file: protobufjs reads fields.
 */
export const onnx = onnxProto.onnx;

export type ModelProto = Schema.IModelProto;
export type GraphProto = Schema.IGraphProto;
export type NodeProto = Schema.INodeProto;
export type TensorProto = Schema.ITensorProto;
export type AttributeProto = Schema.IAttributeProto;
export type ValueInfoProto = Schema.IValueInfoProto;

/** TensorProto.DataType values this code reads or writes. */
export const DataType = { FLOAT: 1, INT32: 6, INT64: 7, DOUBLE: 11 } as const;

/** AttributeProto.AttributeType values. */
export const AttrType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

/** protobufjs gives 64-bit integers as numbers or Long objects; this makes them numbers (exact below 2^53). */
export function toNumber(v: number | { toNumber(): number } | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}
