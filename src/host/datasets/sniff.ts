import type { ImageFormat } from './types';

/** How many leading bytes `sniffFormat` needs. */
export const SNIFF_BYTES = 32;

/** Extensions people give images. Only used to tell "a broken image" from "some other file", never to pick a decoder. */
const IMAGE_EXTENSIONS = new Set(['png', 'jpg', 'jpeg', 'jpe', 'jfif', 'webp', 'gif', 'tif', 'tiff', 'bmp', 'dib']);

/** True when the file name looks like an image's, so that non-image content there is worth reporting. */
export function hasImageExtension(name: string): boolean {
  const dot = name.lastIndexOf('.');
  return dot >= 0 && IMAGE_EXTENSIONS.has(name.slice(dot + 1).toLowerCase());
}

const ascii = (b: Uint8Array, at: number, text: string): boolean =>
  b.length >= at + text.length && [...text].every((ch, i) => b[at + i] === ch.charCodeAt(0));

/**
 * The image format told by a file's first bytes (its magic number), or null when it is none we accept.
 * The content decides, not the extension: a PNG named .jpg is a PNG, a text file named .png is not an image.
 */
export function sniffFormat(head: Uint8Array): ImageFormat | null {
  if (ascii(head, 0, '\x89PNG\r\n\x1a\n')) return 'png';
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg';
  if (ascii(head, 0, 'GIF87a') || ascii(head, 0, 'GIF89a')) return 'gif';
  if (ascii(head, 0, 'RIFF') && ascii(head, 8, 'WEBP')) return 'webp';
  // Classic TIFF is 42 after the byte-order mark; BigTIFF (which libvips also reads) is 43.
  if (ascii(head, 0, 'II') && (head[2] === 42 || head[2] === 43) && head[3] === 0) return 'tiff';
  if (ascii(head, 0, 'MM') && head[2] === 0 && (head[3] === 42 || head[3] === 43)) return 'tiff';
  // 'BM' alone would match a text file starting with "BM"; the DIB header size at byte 14 must be a known one too.
  if (ascii(head, 0, 'BM') && head.length >= 18) {
    const dib = head[14] | (head[15] << 8) | (head[16] << 16) | (head[17] << 24);
    if ([12, 40, 52, 56, 64, 108, 124].includes(dib)) return 'bmp';
  }
  return null;
}
