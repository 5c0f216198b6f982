/**
 * A safetensors file exactly as train.py's save_convas_weights writes it: tensors under their Convas names in sorted
 * order, float32 little-endian, a header with no metadata padded with spaces so that the data starts 8-byte aligned.
 */
export function trainPySafetensors(weights: Record<string, { shape: readonly number[]; data: Float32Array }>): Buffer {
  const header: Record<string, unknown> = {};
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const name of Object.keys(weights).sort()) {
    const t = weights[name];
    const raw = Buffer.alloc(t.data.length * 4);
    t.data.forEach((v, i) => raw.writeFloatLE(v, i * 4));
    header[name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + raw.length] };
    chunks.push(raw);
    offset += raw.length;
  }
  let text = JSON.stringify(header);
  text += ' '.repeat((8 - ((8 + text.length) % 8)) % 8);
  const size = Buffer.alloc(8);
  size.writeBigUInt64LE(BigInt(text.length));
  return Buffer.concat([size, Buffer.from(text, 'ascii'), ...chunks]);
}
