import { readUntrustedFile } from '../files/read-untrusted';
import { decodeBmp } from './bmp';
import { decodeSmallPng, inflateCapped } from './png';
import { sharp } from './vips';
import type { ImageFormat, InputSpec, ResizeMode } from './types';

/** The largest image file decoded: the command line's cap for one image (a dataset's is lower, 256 MiB). */
export const MAX_DECODE_BYTES = 512 * 2 ** 20;

const FIT: Record<ResizeMode, 'fill' | 'contain' | 'cover'> = { stretch: 'fill', fit: 'contain', crop: 'cover' };

/** What `decodeToInput` needs to know about a file. */
export interface DecodeSource {
  readonly path: string;
  readonly format: ImageFormat;
}

/**
 * Decodes one image into the model's input: oriented by its EXIF tag, alpha flattened over white, converted to
 * gray or sRGB, fitted to height × width, 8 bits per sample. Returns the pixels in CHW order (the engine's
 * layout), as bytes: callers scale to [0, 1]. Keeping bytes rather than floats lets the cache hold four times as
 * many images.
 *
 * Why no worker threads: sharp runs each pipeline, file read included, as one job on libuv's thread pool, so the
 * JS thread only starts jobs and collects their pixels. A worker pool would add a copy of every image across
 * threads and gain nothing. Two kinds of image are decoded in JS: BMP (which libvips cannot read), after its size
 * was capped, and a small 8-bit gray or RGB PNG already of the input's size (decodeSmallPng), where libvips would
 * only copy the samples and its overhead is most of the time.
 */
export async function decodeToInput(
  src: DecodeSource,
  input: InputSpec,
  maxPixels: number,
  maxBytes = MAX_DECODE_BYTES,
): Promise<Uint8Array> {
  // Read through the one untrusted-file reader, never by path inside libvips: the file may have been swapped for
  // a FIFO or a device since the scan, and libvips would block on it or read it without end.
  const { bytes } = await readUntrustedFile(src.path, { maxBytes });
  if (src.format === 'png' && input.width * input.height <= maxPixels) {
    const pixels = decodeSmallPng(bytes, input, inflateCapped);
    if (pixels) return pixels;
  }
  return decodeWithVips(bytes, src.format, input, maxPixels);
}

/** decodeToInput's work on a file's bytes, through libvips (BMP through decodeBmp first). */
export async function decodeWithVips(
  bytes: Uint8Array,
  format: ImageFormat,
  input: InputSpec,
  maxPixels: number,
): Promise<Uint8Array> {
  const { height, width, channels } = input;
  let image: sharp.Sharp;
  if (format === 'bmp') {
    const bmp = decodeBmp(bytes, maxPixels);
    image = sharp(bmp.data, { raw: { width: bmp.width, height: bmp.height, channels: bmp.channels } });
  } else {
    // pages: 1 takes the first frame of a GIF or WebP animation; sequentialRead lets a large PNG or JPEG decode
    // through the resize without a second full-size copy; limitInputPixels refuses a bomb before allocating it.
    image = sharp(bytes, { limitInputPixels: maxPixels, sequentialRead: true, pages: 1 }).autoOrient();
  }
  const { data, info } = await image
    .flatten({ background: '#ffffff' })
    .toColourspace(channels === 1 ? 'b-w' : 'srgb')
    .resize(width, height, { fit: FIT[input.resize ?? 'stretch'], position: 'centre', background: '#000000' })
    .removeAlpha()
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== channels || info.width !== width || info.height !== height) {
    throw new Error(
      `decoder returned ${info.width}×${info.height}×${info.channels}, expected ${width}×${height}×${channels}`,
    );
  }
  return interleavedToPlanar(data, height * width, channels);
}

/** sharp gives HWC (pixel by pixel, channels interleaved); the engine wants CHW (one plane per channel). */
function interleavedToPlanar(hwc: Uint8Array, pixels: number, channels: number): Uint8Array {
  if (channels === 1) return new Uint8Array(hwc);
  const chw = new Uint8Array(pixels * channels);
  for (let p = 0; p < pixels; p++) for (let c = 0; c < channels; c++) chw[c * pixels + p] = hwc[p * channels + c];
  return chw;
}
