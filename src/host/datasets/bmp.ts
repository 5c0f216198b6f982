/**
 * A small BMP decoder. libvips (and so sharp) has no BMP loader in its prebuilt binaries, and BMP is simple:
 * uncompressed rows of palette indices or packed pixels. We decode BI_RGB at 1, 4, 8, 16, 24 and 32 bits and
 * BI_BITFIELDS at 16 and 32 bits; compressed variants (RLE, embedded JPEG/PNG) are refused as unsupported.
 * Runs on the JS thread, but only after the pixel cap was checked on the header, so its work is bounded.
 */

/** What the header says; enough to check the pixel cap before decoding anything. */
export interface BmpHeader {
  readonly width: number;
  readonly height: number;
  readonly bitsPerPixel: number;
  readonly compression: number;
  /** Rows are stored bottom-up unless the height field is negative. */
  readonly topDown: boolean;
  readonly dataOffset: number;
  readonly headerSize: number;
}

/** Decoded pixels, top-down, interleaved RGB or RGBA. */
export interface BmpPixels {
  readonly width: number;
  readonly height: number;
  readonly channels: 3 | 4;
  readonly data: Uint8Array;
}

/** A BMP that is well-formed but uses a variant we do not decode. */
export class BmpUnsupportedError extends Error {}

const BI_RGB = 0;
const BI_BITFIELDS = 3;
const BI_ALPHABITFIELDS = 6;
const COMPRESSION_NAMES: Record<number, string> = { 1: 'RLE8', 2: 'RLE4', 4: 'embedded JPEG', 5: 'embedded PNG' };

export function readBmpHeader(buf: Uint8Array): BmpHeader {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.length < 26) throw new Error('BMP header is truncated');
  const dataOffset = view.getUint32(10, true);
  const headerSize = view.getUint32(14, true);
  if (headerSize === 12) {
    // The old OS/2 BITMAPCOREHEADER: 16-bit sizes, always bottom-up, never compressed.
    return {
      width: view.getUint16(18, true),
      height: view.getUint16(20, true),
      bitsPerPixel: view.getUint16(24, true),
      compression: BI_RGB,
      topDown: false,
      dataOffset,
      headerSize,
    };
  }
  if (buf.length < 34) throw new Error('BMP header is truncated');
  const rawHeight = view.getInt32(22, true);
  return {
    width: view.getInt32(18, true),
    height: Math.abs(rawHeight),
    bitsPerPixel: view.getUint16(28, true),
    compression: view.getUint32(30, true),
    topDown: rawHeight < 0,
    dataOffset,
    headerSize,
  };
}

/** Where each colour sits in a 16- or 32-bit pixel: a mask and how far to shift it down. */
interface Channel {
  mask: number;
  shift: number;
  max: number;
}

function channelOf(mask: number): Channel | null {
  if (mask === 0) return null;
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  return { mask: mask >>> 0, shift, max: (mask >>> 0) >>> shift };
}

function masksOf(view: DataView, h: BmpHeader): [number, number, number, number] {
  if (h.compression === BI_BITFIELDS || h.compression === BI_ALPHABITFIELDS) {
    // The masks follow a 40-byte header, or sit inside a V2+ header at the same offsets.
    const alpha = h.compression === BI_ALPHABITFIELDS || h.headerSize >= 56 ? view.getUint32(66, true) : 0;
    return [view.getUint32(54, true), view.getUint32(58, true), view.getUint32(62, true), alpha];
  }
  // BI_RGB: 16 bits are 5-5-5; 32 bits are B, G, R and an unused byte (alpha only when a V4/V5 header says so).
  if (h.bitsPerPixel === 16) return [0x7c00, 0x03e0, 0x001f, 0];
  const alpha = h.headerSize >= 108 ? view.getUint32(66, true) : 0;
  return [0x00ff0000, 0x0000ff00, 0x000000ff, alpha];
}

/** Decodes a BMP; refuses one declaring more than `maxPixels` before allocating anything. */
export function decodeBmp(buf: Uint8Array, maxPixels = Infinity): BmpPixels {
  const h = readBmpHeader(buf);
  if (h.width * h.height > maxPixels) throw new Error(`BMP declares ${h.width}×${h.height}, over the pixel cap`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const { width, height, bitsPerPixel: bpp } = h;
  if (h.compression !== BI_RGB && h.compression !== BI_BITFIELDS && h.compression !== BI_ALPHABITFIELDS) {
    const name = COMPRESSION_NAMES[h.compression] ?? `compression ${h.compression}`;
    throw new BmpUnsupportedError(`BMP with ${name} is not supported by the decoder`);
  }
  if (![1, 4, 8, 16, 24, 32].includes(bpp)) {
    throw new BmpUnsupportedError(`BMP at ${bpp} bits per pixel is not supported`);
  }
  if (width <= 0 || height <= 0) throw new Error(`BMP declares an empty size ${width}×${height}`);
  // Each row is padded to a multiple of four bytes.
  const stride = Math.floor((bpp * width + 31) / 32) * 4;
  if (h.dataOffset + stride * height > buf.length) throw new Error('BMP pixel data ends early (truncated file)');

  let palette: Uint8Array | null = null;
  if (bpp <= 8) {
    // Palette entries are B, G, R (and a reserved byte, except in the old 12-byte header).
    const entrySize = h.headerSize === 12 ? 3 : 4;
    const used = h.headerSize === 12 ? 0 : view.getUint32(46, true);
    const count = used > 0 ? Math.min(used, 1 << bpp) : 1 << bpp;
    const start = 14 + h.headerSize;
    palette = new Uint8Array(256 * 3);
    for (let i = 0; i < count && start + (i + 1) * entrySize <= Math.min(h.dataOffset, buf.length); i++) {
      palette[i * 3] = buf[start + i * entrySize + 2];
      palette[i * 3 + 1] = buf[start + i * entrySize + 1];
      palette[i * 3 + 2] = buf[start + i * entrySize];
    }
  }
  const masks = bpp === 16 || bpp === 32 ? masksOf(view, h).map(channelOf) : null;
  const channels: 3 | 4 = masks?.[3] ? 4 : 3;
  const out = new Uint8Array(width * height * channels);

  for (let y = 0; y < height; y++) {
    const row = h.dataOffset + (h.topDown ? y : height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * channels;
      if (palette) {
        // Indices are packed most significant bits first.
        const bit = x * bpp;
        const index = (buf[row + (bit >> 3)] >> (8 - bpp - (bit & 7))) & ((1 << bpp) - 1);
        out[o] = palette[index * 3];
        out[o + 1] = palette[index * 3 + 1];
        out[o + 2] = palette[index * 3 + 2];
      } else if (bpp === 24) {
        out[o] = buf[row + x * 3 + 2];
        out[o + 1] = buf[row + x * 3 + 1];
        out[o + 2] = buf[row + x * 3];
      } else {
        const px = bpp === 16 ? view.getUint16(row + x * 2, true) : view.getUint32(row + x * 4, true);
        for (let c = 0; c < channels; c++) {
          const ch = masks![c];
          // Scale each field (5, 6 or 8 bits wide) to 0..255.
          out[o + c] = ch ? Math.round((((px & ch.mask) >>> ch.shift) * 255) / ch.max) : 0;
        }
      }
    }
  }
  return { width, height, channels, data: out };
}
