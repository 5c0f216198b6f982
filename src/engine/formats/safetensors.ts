import { jsonTextDepthProblem } from '../../shared/safe-json';
import { sizeOf, tensor, type Tensor } from '../tensor';

/**
 * safetensors (Hugging Face): an 8-byte little-endian header length N, N bytes of JSON
 * `{ name: { dtype, shape, data_offsets: [begin, end] }, __metadata__?: { string: string } }`,
 * then the raw little-endian tensor bytes, offsets relative to the end of the header.
 * Only F32 is written; reading refuses anything that does not add up, and never evaluates code.
 */

export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

/** A header larger than this is refused before it is parsed (the reference implementation uses 100 MB). */
const MAX_HEADER = 100 * 1024 * 1024;

export function encodeSafetensors(tensors: Record<string, Tensor>, metadata: Record<string, string> = {}): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header['__metadata__'] = metadata;
  let offset = 0;
  for (const name of names) {
    const t = tensors[name];
    const bytes = t.data.length * 4;
    header[name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces so that the data starts 8-byte aligned, as the reference writer does.
  const headerBytes = new TextEncoder().encode(json);
  const pad = (8 - ((8 + headerBytes.length) % 8)) % 8;
  json += ' '.repeat(pad);
  const hb = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + hb.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(hb.length), true);
  out.set(hb, 8);
  const base = 8 + hb.length;
  for (const name of names) {
    const t = tensors[name];
    const [begin] = (header[name] as { data_offsets: [number, number] }).data_offsets;
    const dv = new DataView(out.buffer, base + begin, t.data.length * 4);
    for (let i = 0; i < t.data.length; i++) dv.setFloat32(i * 4, t.data[i], true);
  }
  return out;
}

export interface DecodedSafetensors {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads a safetensors file, checking every claim the header makes against the bytes that follow:
 * header length within the file, known dtype, whole-number shapes whose size matches the byte range,
 * ranges inside the data and not overlapping, no NaN or infinite values unless allowed.
 */
export function decodeSafetensors(bytes: Uint8Array, options: { allowNonFinite?: boolean } = {}): DecodedSafetensors {
  if (bytes.length < 8)
    throw new SafetensorsError(`file is ${bytes.length} bytes, too short for the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(bytes.length - 8)) {
    throw new SafetensorsError(`header claims ${n} bytes but the file has only ${bytes.length - 8} after the length`);
  }
  if (n > BigInt(MAX_HEADER))
    throw new SafetensorsError(`header of ${n} bytes is larger than the ${MAX_HEADER}-byte limit`);
  const headerLen = Number(n);
  let header: unknown;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen));
    // A header is two levels deep; deep text is refused before JSON.parse spends seconds and gigabytes on it.
    const deep = jsonTextDepthProblem(text);
    if (deep) throw new SafetensorsError(`header is refused: ${deep}`);
    header = JSON.parse(text);
  } catch (e) {
    if (e instanceof SafetensorsError) throw e;
    throw new SafetensorsError(`header is not valid UTF-8 JSON: ${(e as Error).message}`);
  }
  if (!isRecord(header)) throw new SafetensorsError('header is not a JSON object');
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const tensors: Record<string, Tensor> = Object.create(null) as Record<string, Tensor>;
  const ranges: [number, number, string][] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (!isRecord(entry)) throw new SafetensorsError('__metadata__ is not an object of strings');
      for (const [k, v] of Object.entries(entry)) {
        if (typeof v !== 'string') throw new SafetensorsError(`__metadata__.${k} is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    if (name === '__proto__' || name === 'constructor' || name === 'prototype') {
      throw new SafetensorsError(`tensor name '${name}' is not allowed`);
    }
    if (!isRecord(entry)) throw new SafetensorsError(`tensor '${name}': entry is not an object`);
    const { dtype, shape, data_offsets: offsets } = entry;
    if (dtype !== 'F32')
      throw new SafetensorsError(`tensor '${name}': dtype ${JSON.stringify(dtype)} is not supported (F32 only)`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new SafetensorsError(`tensor '${name}': shape ${JSON.stringify(shape)} is not a list of whole numbers`);
    }
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
      offsets[0] > offsets[1]
    ) {
      throw new SafetensorsError(
        `tensor '${name}': data_offsets ${JSON.stringify(offsets)} is not a [begin, end] pair`,
      );
    }
    const [begin, end] = offsets as [number, number];
    if (end > dataLen)
      throw new SafetensorsError(
        `tensor '${name}': bytes ${begin}..${end} run past the end of the data (${dataLen} bytes)`,
      );
    const count = sizeOf(shape as number[]);
    if (count * 4 !== end - begin) {
      throw new SafetensorsError(
        `tensor '${name}': shape [${shape.join('×')}] needs ${count * 4} bytes, offsets give ${end - begin}`,
      );
    }
    ranges.push([begin, end, name]);
    const data = new Float32Array(count);
    const dv = new DataView(bytes.buffer, bytes.byteOffset + dataStart + begin, end - begin);
    for (let i = 0; i < count; i++) {
      const v = dv.getFloat32(i * 4, true);
      if (!options.allowNonFinite && !Number.isFinite(v)) {
        throw new SafetensorsError(`tensor '${name}': value ${i} is ${v}; weights must be finite numbers`);
      }
      data[i] = v;
    }
    tensors[name] = tensor(shape as number[], data);
  }
  ranges.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < ranges.length; i++) {
    if (ranges[i][0] < ranges[i - 1][1]) {
      throw new SafetensorsError(`tensors '${ranges[i - 1][2]}' and '${ranges[i][2]}' overlap in the data`);
    }
  }
  return { tensors: { ...tensors }, metadata };
}
