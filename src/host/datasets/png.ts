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
