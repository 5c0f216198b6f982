import { webcrypto } from 'node:crypto';
import { readUntrustedFile, UntrustedFileError } from '../files/read-untrusted';
import { sharp } from './vips';
import { BmpUnsupportedError, decodeBmp, readBmpHeader } from './bmp';
import { inflateCapped, readPngHeader, verifyPng } from './png';
import { hasImageExtension, sniffFormat } from './sniff';
import type { ImageFormat, SkipKind } from './types';

/** What a file turned out to be. */
export type ProbeResult =
  | {
      readonly kind: 'image';
      readonly format: ImageFormat;
      readonly width: number;
      readonly height: number;
      readonly channels: number;
      readonly bitDepth: number;
      readonly palette: boolean;
      readonly bytes: number;
      readonly hash: string;
    }
  | { readonly kind: 'skipped'; readonly skip: SkipKind; readonly reason: string }
  /** Not an image and not named like one (README.txt): ignored and counted, not reported one by one. */
  | { readonly kind: 'ignored' };

/** The caps a probe applies. */
export interface ProbeLimits {
  /** Images declaring more pixels than this are refused without being decoded. */
  readonly maxPixels: number;
  /** Files larger than this are refused without being read. */
  readonly maxFileBytes: number;
  /** A real folder every file must lie in once links are followed (the browser mode's --root), if any. */
  readonly within?: string;
}

const megapixels = (n: number): string => `${(n / 1e6).toFixed(n < 1e7 ? 1 : 0)} megapixels`;

/** libvips prefixes its messages with where the input came from; the user only needs the decoder's own words. */
const decoderReason = (e: unknown): string =>
  (e as Error).message
    .replace(/^Input (buffer|file) (has corrupt header|contains unsupported image format):?\s*/, '')
    .trim() || 'the decoder gave no reason';

/**
 * Opens one file and decides whether it can train: its content says which format it is (the extension is
 * ignored), its header gives its size (checked against the pixel cap before anything is decoded), and a full
 * decode at a small size proves it is not truncated or corrupt. All the heavy steps (reading, hashing with
 * WebCrypto, sharp's decode) run on libuv's thread pool, so the JS thread stays free while many files are probed.
 */
export async function probeFile(path: string, name: string, limits: ProbeLimits): Promise<ProbeResult> {
  const namedLikeImage = hasImageExtension(name);
  let buf: Buffer;
  try {
    // Links resolved, FIFOs and devices refused without blocking, never more than the cap read (see the module).
    buf = (await readUntrustedFile(path, { maxBytes: limits.maxFileBytes, within: limits.within })).bytes;
  } catch (e) {
    if (!(e instanceof UntrustedFileError)) throw e;
    if (e.problem === 'too-large') return { kind: 'skipped', skip: 'too-large', reason: `file ${e.reason}` };
    if (e.problem !== 'unreadable') return { kind: 'skipped', skip: 'unreadable', reason: `file ${e.reason}` };
    const why = e.code === 'ENOENT' ? 'file disappeared or is a broken link' : `cannot be read (${e.code ?? e.reason})`;
    return { kind: 'skipped', skip: 'unreadable', reason: why };
  }
  const format = sniffFormat(buf);
  if (!format) {
    if (!namedLikeImage) return { kind: 'ignored' };
    const reason =
      buf.length === 0 ? 'empty file (0 bytes)' : 'content is not a PNG, JPEG, WebP, GIF, TIFF or BMP image';
    return { kind: 'skipped', skip: 'not-an-image', reason };
  }
  const hash = Buffer.from(await webcrypto.subtle.digest('SHA-256', buf)).toString('hex');
  return format === 'bmp' ? probeBmp(buf, hash, limits) : probeWithSharp(buf, format, hash, limits);
}

/** The header facts the report needs, from a cheap JS read for PNG and from sharp's metadata for the rest. */
interface Header {
  width: number;
  height: number;
  channels: number;
  bitDepth: number;
  palette: boolean;
}

async function readHeader(buf: Buffer, format: ImageFormat): Promise<Header> {
  const png = format === 'png' ? readPngHeader(buf) : null;
  if (png) return png;
  // Reading the header allocates no pixels, so a decompression bomb costs nothing here.
  const meta = await sharp(buf).metadata();
  return {
    width: meta.width ?? 0,
    // An animated GIF or WebP reports its frames stacked; we use the first frame.
    height: meta.pageHeight ?? meta.height ?? 0,
    channels: meta.channels ?? 0,
    bitDepth: meta.depth === 'ushort' ? 16 : meta.depth === 'float' || meta.depth === 'uint' ? 32 : 8,
    palette: meta.isPalette ?? false,
  };
}

/** Largest side the verifying decode keeps; smaller images decode as they are, larger ones are shrunk on the way. */
const VERIFY_SIZE = 256;

async function probeWithSharp(
  buf: Buffer,
  format: ImageFormat,
  hash: string,
  limits: ProbeLimits,
): Promise<ProbeResult> {
  const unreadable = (e: unknown): ProbeResult => ({
    kind: 'skipped',
    skip: 'unreadable',
    reason: `${format.toUpperCase()}: ${decoderReason(e)}`,
  });
  let header: Header;
  try {
    header = await readHeader(buf, format);
  } catch (e) {
    return unreadable(e);
  }
  const { width, height } = header;
  if (width <= 0 || height <= 0) return unreadable(new Error('declares an empty size'));
  const tooLarge = checkPixels(width, height, limits);
  if (tooLarge) return tooLarge;
  // A whole PNG is proven in JavaScript; anything else, or a PNG that fails, goes to the decoder for its verdict.
  if (format === 'png' && verifyPng(buf, inflateCapped) === 'ok') {
    return { kind: 'image', format, ...header, bytes: buf.length, hash };
  }
  try {
    // Decode every byte (a truncated file fails here, not mid-epoch) but keep at most a thumbnail in memory.
    await sharp(buf, { limitInputPixels: limits.maxPixels, sequentialRead: true })
      .resize(VERIFY_SIZE, VERIFY_SIZE, { fit: 'inside', withoutEnlargement: true })
      .raw()
      .toBuffer();
  } catch (e) {
    return unreadable(e);
  }
  return { kind: 'image', format, ...header, bytes: buf.length, hash };
}

function probeBmp(buf: Buffer, hash: string, limits: ProbeLimits): ProbeResult {
  try {
    const header = readBmpHeader(buf);
    const tooLarge = checkPixels(header.width, header.height, limits);
    if (tooLarge) return tooLarge;
    const pixels = decodeBmp(buf);
    return {
      kind: 'image',
      format: 'bmp',
      width: pixels.width,
      height: pixels.height,
      channels: pixels.channels,
      bitDepth: 8,
      palette: header.bitsPerPixel <= 8,
      bytes: buf.length,
      hash,
    };
  } catch (e) {
    const skip: SkipKind = e instanceof BmpUnsupportedError ? 'unsupported' : 'unreadable';
    return { kind: 'skipped', skip, reason: `BMP: ${(e as Error).message}` };
  }
}

function checkPixels(width: number, height: number, limits: ProbeLimits): ProbeResult | null {
  const pixels = width * height;
  if (pixels <= limits.maxPixels) return null;
  const reason = `declares ${width}×${height} (${megapixels(pixels)}), over the cap of ${megapixels(limits.maxPixels)}`;
  return { kind: 'skipped', skip: 'too-large', reason };
}
