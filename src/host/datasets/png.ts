import { inflateSync } from 'node:zlib';

/** What a PNG's chunks before its pixel data say; enough for the report and the pixel cap. */
export interface PngHeader {
  readonly width: number;
  readonly height: number;
  /** Bits per sample: 1, 2, 4, 8 or 16. */
  readonly bitDepth: number;
  /** Channels once decoded: 1 gray, 2 gray + alpha, 3 colour, 4 colour + alpha (a palette with transparency). */
  readonly channels: number;
  readonly palette: boolean;
}

/**
 * Reads a PNG's IHDR chunk (and looks for a tRNS chunk before the pixel data) in a few microseconds. sharp's
 * metadata() would tell us the same, but at the cost of a trip through libvips for each of thousands of small files.
 * Returns null when the header is malformed; the decoder then gives the reason.
 */
export function readPngHeader(buf: Uint8Array): PngHeader | null {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  // Signature (8 bytes), then the IHDR chunk: length (4), "IHDR" (4), width, height, depth, colour type.
  if (buf.length < 33 || view.getUint32(12) !== 0x49484452) return null;
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  const bitDepth = buf[24];
  const colourType = buf[25];
  const base = ({ 0: 1, 2: 3, 3: 3, 4: 2, 6: 4 } as Record<number, number>)[colourType];
  if (base === undefined) return null;
  // A tRNS chunk gives gray, colour or palette images an alpha channel; it must come before the first IDAT.
  let transparent = false;
  for (let at = 33; at + 8 <= buf.length;) {
    const type = view.getUint32(at + 4);
    if (type === 0x49444154 /* IDAT */) break;
    if (type === 0x74524e53 /* tRNS */) transparent = true;
    at += 12 + view.getUint32(at);
  }
  const channels = transparent && (base === 1 || base === 3) ? base + 1 : base;
  return { width, height, bitDepth, channels, palette: colourType === 3 };
}

/**
 * zlib's inflate, refusing to produce more than `maxBytes`: what verifyPng and decodeSmallPng are given, so that a
 * small file claiming a huge stream cannot make them allocate it.
 */
export const inflateCapped = (data: Uint8Array, maxBytes: number): Uint8Array =>
  inflateSync(data, { maxOutputLength: maxBytes });

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const CHANNELS_OF: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
/** Inflated image data verifyPng handles itself: 256 KB, a 256×256 RGBA thumbnail; larger images go to the decoder. */
export const VERIFY_MAX_BYTES = 256 * 1024;

/**
 * Proves a PNG whole without libvips, in microseconds: every chunk inside the file with its CRC right, the image
 * data one complete zlib stream (adler-32 checked) of exactly the size the header declares, each row's filter
 * valid, and the file ending with IEND. That is what the scan's verifying decode catches (a truncated or corrupt
 * file), at a fraction of its cost: sharp takes about 0.7 ms for each small image, most of it its own overhead,
 * which on a folder of thousands of thumbnails is the whole wait before training can start.
 * 'ok' when the file passes; 'ask-decoder' when it does not, is interlaced, or is larger than VERIFY_MAX_BYTES
 * once inflated (the decoder then has its say: it verifies a large image without holding all of it, and off the
 * JS thread, where this inflate would block it).
 */
export function verifyPng(
  buf: Uint8Array,
  inflate: (data: Uint8Array, maxBytes: number) => Uint8Array,
): 'ok' | 'ask-decoder' {
  return readSmallPng(buf, inflate) ? 'ok' : 'ask-decoder';
}

/** A small PNG proved whole by readSmallPng: its header, the chunk types it holds and its filtered rows. */
interface SmallPng {
  readonly header: PngHeader;
  /** Every chunk type, as the four-byte numbers the file holds. */
  readonly chunks: ReadonlySet<number>;
  /** The inflated image data: each row a filter byte and rowBytes bytes. */
  readonly raw: Uint8Array;
  readonly rowBytes: number;
  /** Samples per pixel as stored (a palette index counts as one). */
  readonly samples: number;
}

/** The checks verifyPng describes; null when any fails or the image is not one it handles. */
function readSmallPng(buf: Uint8Array, inflate: (data: Uint8Array, maxBytes: number) => Uint8Array): SmallPng | null {
  if (buf.length < 8 || SIGNATURE.some((b, i) => buf[i] !== b)) return null;
  const header = readPngHeader(buf);
  if (!header) return null;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const interlaced = buf[28] !== 0;
  const samples = CHANNELS_OF[buf[25]];
  if (interlaced || samples === undefined) return null;
  const idat: Uint8Array[] = [];
  const chunks = new Set<number>();
  let ended = false;
  for (let at = 8; at < buf.length;) {
    if (ended || at + 12 > buf.length) return null;
    const length = view.getUint32(at);
    if (at + 12 + length > buf.length) return null;
    const type = view.getUint32(at + 4);
    if (crc32(buf.subarray(at + 4, at + 8 + length)) !== view.getUint32(at + 8 + length)) return null;
    chunks.add(type);
    if (type === 0x49444154 /* IDAT */) idat.push(buf.subarray(at + 8, at + 8 + length));
    if (type === 0x49454e44 /* IEND */) ended = true;
    at += 12 + length;
  }
  if (!ended || idat.length === 0) return null;
  const rowBytes = Math.ceil((header.width * samples * header.bitDepth) / 8);
  const expected = header.height * (1 + rowBytes);
  if (expected > VERIFY_MAX_BYTES) return null;
  let raw: Uint8Array;
  try {
    raw = inflate(idat.length === 1 ? idat[0] : concat(idat), expected + 1);
  } catch {
    return null;
  }
  if (raw.length !== expected) return null;
  for (let row = 0; row < header.height; row++) if (raw[row * (1 + rowBytes)] > 4) return null;
  return { header, chunks, raw, rowBytes, samples };
}

/**
 * Chunks that change what a PNG's samples mean: an embedded colour profile, chromaticities and gamma (which a
 * colour-managed decoder may apply), an EXIF orientation, transparency. A file with any of them goes to libvips.
 */
const MEANING: readonly number[] = ['iCCP', 'cHRM', 'gAMA', 'sBIT', 'eXIf', 'tRNS', 'PLTE'].map((t) =>
  new DataView(new TextEncoder().encode(t).buffer).getUint32(0),
);

/**
 * The pixels of a small PNG that is already the model's input, decoded in JavaScript: 8-bit gray for a 1-channel
 * input or 8-bit RGB for a 3-channel one, exactly width × height, not interlaced, with no chunk that changes the
 * samples' meaning. Then libvips would only copy the samples (its flatten, colourspace and resize are identities),
 * so the result is the bytes sharp gives, in CHW order, without sharp's fraction of a millisecond per image: the
 * first epoch on the full Fashion-MNIST (54,000 thumbnails decoded as it goes) went from 40–46 s to 25–30 s.
 * Null for any other image, or a file that fails verifyPng's checks: the caller decodes it with libvips.
 */
export function decodeSmallPng(
  buf: Uint8Array,
  input: { readonly width: number; readonly height: number; readonly channels: number },
  inflate: (data: Uint8Array, maxBytes: number) => Uint8Array,
): Uint8Array | null {
  const header = readPngHeader(buf);
  const colourType = buf[25];
  const wanted = input.channels === 1 ? 0 : input.channels === 3 ? 2 : -1;
  if (!header || header.bitDepth !== 8 || colourType !== wanted) return null;
  if (header.width !== input.width || header.height !== input.height) return null;
  const png = readSmallPng(buf, inflate);
  if (!png || MEANING.some((t) => png.chunks.has(t))) return null;
  const { raw, rowBytes, samples } = png;
  const rows = unfilter(raw, header.height, rowBytes, samples);
  if (samples === 1) return rows;
  const pixels = header.width * header.height;
  const chw = new Uint8Array(pixels * samples);
  for (let p = 0; p < pixels; p++) for (let c = 0; c < samples; c++) chw[c * pixels + p] = rows[p * samples + c];
  return chw;
}

/** Undoes PNG's per-row filters (None, Sub, Up, Average, Paeth) for `bpp` bytes per pixel; returns the rows packed. */
function unfilter(raw: Uint8Array, height: number, rowBytes: number, bpp: number): Uint8Array {
  const out = new Uint8Array(height * rowBytes);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (rowBytes + 1)];
    const src = y * (rowBytes + 1) + 1;
    const at = y * rowBytes;
    const up = at - rowBytes;
    for (let i = 0; i < rowBytes; i++) {
      const a = i >= bpp ? out[at + i - bpp] : 0;
      const b = y > 0 ? out[up + i] : 0;
      let v = raw[src + i];
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const c = y > 0 && i >= bpp ? out[up + i - bpp] : 0;
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      out[at + i] = v;
    }
  }
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

let table: Uint32Array | null = null;

/** CRC-32 as PNG (and zlib) define it; a table-driven loop, since zlib.crc32 only arrived in Node 20.15. */
function crc32(bytes: Uint8Array): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = table[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
