import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { tensor } from '../../src/engine';
import { encodePng } from '../../src/host/datasets';
import { inflateCapped, verifyPng, VERIFY_MAX_BYTES } from '../../src/host/datasets/png';
import { sharp } from '../../src/host/datasets/vips';
import { chunk } from '../helpers/png-chunks';

/** The scan proves small PNGs whole in JavaScript; whatever it cannot prove goes to the decoder for a verdict. */
/** An 8-bit grayscale PNG, built by hand so that each part can be spoiled on purpose; `rows` are filter byte + pixels. */
function png(width: number, height: number, rows: Uint8Array, interlace = 0): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 0, 0, 0, interlace], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

const rowsOf = (width: number, height: number, filter = 0) => {
  const rows = new Uint8Array(height * (1 + width));
  for (let r = 0; r < height; r++) {
    rows[r * (1 + width)] = filter;
    for (let c = 0; c < width; c++) rows[r * (1 + width) + 1 + c] = (r * 7 + c * 13) & 0xff;
  }
  return rows;
};

describe('verifyPng', () => {
  it('proves a whole PNG, as sharp writes it and as built by hand', async () => {
    const image = tensor([3, 9, 7]);
    image.data.forEach((_, i) => (image.data[i] = (i % 11) / 10));
    expect(verifyPng(await encodePng(image), inflateCapped)).toBe('ok');
    const own = png(5, 4, rowsOf(5, 4));
    expect(verifyPng(own, inflateCapped)).toBe('ok');
    // The decoder agrees it is whole.
    const { info } = await sharp(own).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([5, 4]);
  });

  it('leaves to the decoder a file cut short, a corrupt byte, a missing end, a bad filter or an interlaced image', () => {
    const good = png(5, 4, rowsOf(5, 4));
    expect(verifyPng(good.subarray(0, good.length - 20), inflateCapped)).toBe('ask-decoder');
    const flipped = Buffer.from(good);
    flipped[45] ^= 0x10; // inside the IDAT data: its CRC no longer matches
    expect(verifyPng(flipped, inflateCapped)).toBe('ask-decoder');
    expect(verifyPng(good.subarray(0, good.length - 12), inflateCapped)).toBe('ask-decoder'); // no IEND
    expect(verifyPng(png(5, 4, rowsOf(5, 4, 9)), inflateCapped)).toBe('ask-decoder'); // filter type 9 does not exist
    expect(verifyPng(png(5, 3, rowsOf(5, 4)), inflateCapped)).toBe('ask-decoder'); // more data than the header declares
    expect(verifyPng(png(5, 4, rowsOf(5, 4), 1), inflateCapped)).toBe('ask-decoder');
    expect(verifyPng(Buffer.from('not a png at all, just text'), inflateCapped)).toBe('ask-decoder');
  });

  it('leaves a large image to the decoder, which verifies it off the JS thread in bounded memory', () => {
    const side = Math.ceil(Math.sqrt(VERIFY_MAX_BYTES)) + 1;
    expect(verifyPng(png(side, side, rowsOf(side, side)), inflateCapped)).toBe('ask-decoder');
  });
});
