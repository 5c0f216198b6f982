import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/engine';
import { decodeWithVips } from '../../src/host/datasets/decode';
import { decodeSmallPng, inflateCapped } from '../../src/host/datasets/png';
import { sharp } from '../../src/host/datasets/vips';
import { chunk } from '../helpers/png-chunks';

/**
 * Small gray and RGB PNGs already of the input's size are decoded in JavaScript. Whatever the filters, the bytes
 * are the ones libvips gives through the full pipeline; any other image is left to libvips.
 */
/** PNG's filter of one byte from its left (a), upper (b) and upper-left (c) neighbours. */
function predict(filter: number, a: number, b: number, c: number): number {
  if (filter === 1) return a;
  if (filter === 2) return b;
  if (filter === 3) return (a + b) >> 1;
  if (filter === 4) {
    const p = a + b - c;
    const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
  }
  return 0;
}

/**
 * An 8-bit PNG of `pixels` (rows of width × samples bytes), row y filtered with filters[y % filters.length], as an
 * encoder would write it; `extra` chunks go before the image data.
 */
function png(
  width: number,
  height: number,
  samples: 1 | 3 | 4,
  pixels: Uint8Array,
  filters: number[],
  extra: Buffer[] = [],
  depth = 8,
): Buffer {
  const rowBytes = width * samples;
  const rows = new Uint8Array(height * (1 + rowBytes));
  for (let y = 0; y < height; y++) {
    const f = filters[y % filters.length];
    rows[y * (1 + rowBytes)] = f;
    for (let i = 0; i < rowBytes; i++) {
      const at = y * rowBytes + i;
      const a = i >= samples ? pixels[at - samples] : 0;
      const b = y > 0 ? pixels[at - rowBytes] : 0;
      const c = y > 0 && i >= samples ? pixels[at - rowBytes - samples] : 0;
      rows[y * (1 + rowBytes) + 1 + i] = (pixels[at] - predict(f, a, b, c)) & 0xff;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([depth, { 1: 0, 3: 2, 4: 6 }[samples], 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    ...extra,
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

function noise(n: number, seed: number): Uint8Array {
  const rng = new Rng(seed);
  return Uint8Array.from({ length: n }, () => rng.int(256));
}

const input = (width: number, height: number, channels: 1 | 3) => ({
  width,
  height,
  channels,
  resize: 'stretch' as const,
});
const MAX_PIXELS = 1e8;

describe('decodeSmallPng', () => {
  for (const samples of [1, 3] as const) {
    for (const filters of [[0], [1], [2], [3], [4], [0, 1, 2, 3, 4]]) {
      it(`${samples === 1 ? 'gray' : 'RGB'} 11×7 with filters ${filters.join(',')}: the bytes libvips gives`, async () => {
        const file = png(11, 7, samples, noise(11 * 7 * samples, 10 + filters.length + samples), filters);
        const js = decodeSmallPng(file, input(11, 7, samples), inflateCapped);
        expect(js).not.toBeNull();
        expect(Buffer.from(js!)).toEqual(
          Buffer.from(await decodeWithVips(file, 'png', input(11, 7, samples), MAX_PIXELS)),
        );
      });
    }
  }

  // Smooth images make Paeth's ties common, which random bytes seldom do: its tie-breaking order is checked too.
  for (const samples of [1, 3] as const) {
    it(`${samples === 1 ? 'gray' : 'RGB'} 32×24 gradients with every filter: the bytes libvips gives`, async () => {
      const pixels = Uint8Array.from({ length: 32 * 24 * samples }, (_, i) => {
        const [x, y] = [Math.floor(i / samples) % 32, Math.floor(i / samples / 32)];
        return (x * 4 + y * 6 + (i % samples) * 40 + ((x * y) % 3)) & 0xff;
      });
      const file = png(32, 24, samples, pixels, [4, 3, 2, 1, 0]);
      const js = decodeSmallPng(file, input(32, 24, samples), inflateCapped);
      expect(Buffer.from(js!)).toEqual(
        Buffer.from(await decodeWithVips(file, 'png', input(32, 24, samples), MAX_PIXELS)),
      );
    });
  }

  it('decodes a 28×28 gray PNG as sharp writes it (Fashion-MNIST’s kind) to its own pixels', async () => {
    const pixels = noise(28 * 28, 3);
    const file = await sharp(pixels, { raw: { width: 28, height: 28, channels: 1 } })
      .toColourspace('b-w')
      .png()
      .toBuffer();
    expect(file[25]).toBe(0); // colour type 0: gray
    expect(Buffer.from(decodeSmallPng(file, input(28, 28, 1), inflateCapped)!)).toEqual(Buffer.from(pixels));
    // A text chunk changes nothing.
    const withText = png(28, 28, 1, pixels, [4], [chunk('tEXt', Buffer.from('Comment\0hello', 'latin1'))]);
    expect(Buffer.from(decodeSmallPng(withText, input(28, 28, 1), inflateCapped)!)).toEqual(Buffer.from(pixels));
  });

  it('leaves to libvips whatever it would change or cannot prove', () => {
    const gray = noise(8 * 8, 4);
    const rgb = noise(8 * 8 * 3, 5);
    const cases: [string, Buffer, 1 | 3][] = [
      ['another size (a resize)', png(8, 8, 1, gray, [0]), 1],
      ['gray for a colour input', png(8, 8, 1, gray, [0]), 3],
      ['colour for a gray input', png(8, 8, 3, rgb, [0]), 1],
      ['an alpha channel', png(8, 8, 4, noise(8 * 8 * 4, 6), [0]), 3],
      ['transparency', png(8, 8, 1, gray, [0], [chunk('tRNS', Buffer.from([0, 7]))]), 1],
      ['a colour profile', png(8, 8, 3, rgb, [0], [chunk('iCCP', Buffer.from('p\0\0x', 'latin1'))]), 3],
      ['a gamma', png(8, 8, 1, gray, [0], [chunk('gAMA', Buffer.from([0, 0, 0xb1, 0x8f]))]), 1],
      ['an EXIF orientation', png(8, 8, 1, gray, [0], [chunk('eXIf', Buffer.from('MM\0*', 'latin1'))]), 1],
    ];
    for (const [what, file, channels] of cases) {
      const want = what === 'another size (a resize)' ? input(4, 4, channels) : input(8, 8, channels);
      expect(decodeSmallPng(file, want, inflateCapped), what).toBeNull();
    }
    const good = png(8, 8, 1, gray, [2]);
    expect(decodeSmallPng(good, input(8, 8, 1), inflateCapped)).not.toBeNull();
    const corrupt = Buffer.from(good);
    corrupt[50] ^= 0x01;
    expect(decodeSmallPng(corrupt, input(8, 8, 1), inflateCapped), 'a corrupt byte').toBeNull();
    expect(decodeSmallPng(good.subarray(0, good.length - 12), input(8, 8, 1), inflateCapped), 'no IEND').toBeNull();
  });
});
