/** Float32 values as little-endian bytes, whatever the machine's byte order (ONNX raw_data and TF.js weight files are little-endian). */
export function floatBytes(data: Float32Array): Uint8Array {
  const out = new Uint8Array(data.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
  return out;
}
