import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  datasetReport,
  DatasetSource,
  formatReport,
  scanDataset,
  type DatasetBatch,
  type DatasetIndex,
} from '../../src/host/datasets';
import { decodeBmp } from '../../src/host/datasets/bmp';
import { decodeToInput } from '../../src/host/datasets/decode';
import {
  noise,
  solid,
  tempFolder,
  writeAnimatedGif,
  writeBmp,
  writeDeclaredHugePng,
  writeFile,
  writeImage,
  writePalettePng,
  writePng16,
  writeRleBmp,
  writeTruncatedJpeg,
  type Pixels,
} from '../fixtures/datasets/generate';

/**
 * One generated folder holding every kind of file RELIABILITY.md cases 1, 2, 4, 5 and 6 name: colour, gray,
 * alpha, palette and 16-bit images in each format, odd sizes, a truncated JPEG, a text file named .png, a PNG
 * named .jpg, a declared 30000×30000 PNG, non-ASCII and space-containing names, and a symbolic-link loop.
 */
const UNICODE = 'Ünïcödé çlass';
// Folders are made in beforeAll, not when the file is collected, so that a filtered run leaves nothing behind.
let folder: ReturnType<typeof tempFolder>;
let root = '';
const bmpNoise = noise(28, 28, 3, 11);
// A vertical gradient, so that a BMP stored upside down would show.
const gradient: Pixels = { width: 28, height: 28, channels: 3, data: new Uint8Array(28 * 28 * 3) };
for (let y = 0; y < 28; y++) gradient.data.fill(y * 9, y * 28 * 3, (y + 1) * 28 * 3);
let bombBytes = 0;
const progress: [number, number][] = [];
let index: DatasetIndex;

beforeAll(async () => {
  folder = tempFolder('formats');
  root = folder.path;
  const rgb = join(root, 'rgb');
  await writeImage(join(rgb, 'red.png'), solid(28, 28, [255, 0, 0]));
  await writeImage(join(rgb, 'noise 37x19.jpeg'), noise(37, 19, 3, 3), 'jpeg');
  await writeImage(join(rgb, 'photo.webp'), noise(30, 30, 3, 4), 'webp');
  await writeImage(join(rgb, 'scan.tiff'), noise(33, 21, 3, 5), 'tiff');
  await writeAnimatedGif(join(rgb, 'frames.gif'), 28, [255, 255, 255], [0, 0, 0]);
  await writeImage(join(rgb, 'looks-like-jpeg.jpg'), solid(28, 28, [0, 0, 255]));
  writeBmp(join(rgb, 'paint.bmp'), bmpNoise, 24);
  writeBmp(join(rgb, 'top.bmp'), gradient, 32, true);
  await writeTruncatedJpeg(join(rgb, 'broken.jpg'));
  writeFile(join(rgb, 'notes.png'), 'this is a text file with a .png name\n');
  writeRleBmp(join(rgb, 'rle.bmp'));
  bombBytes = writeDeclaredHugePng(join(rgb, 'bomb.png'), 30000, 30000);
  writeFile(join(rgb, '.DS_Store'), 'Bud1\0\0\0');
  writeFile(join(rgb, 'README.txt'), 'where these come from\n');

  const gray = join(root, 'gray');
  await writeImage(join(gray, 'g8.png'), solid(28, 28, [77]));
  await writePng16(join(gray, 'g16.png'), 28, 28, 0x8000);
  await writeImage(join(gray, 'ga.png'), solid(20, 20, [0, 0]));
  await writeImage(join(gray, 'sub', 'nested.png'), solid(28, 28, [200]));

  const uni = join(root, UNICODE);
  await writePalettePng(join(uni, 'ñoño 1.png'), 28, 28, [10, 200, 30]);
  await writeImage(join(uni, 'rgba.png'), solid(28, 28, [255, 0, 0, 0]));
  symlinkSync('..', join(uni, 'loop'));
  symlinkSync('nowhere.png', join(uni, 'dangling.png'));

  await writeImage(join(root, 'stray.png'), solid(8, 8, [1, 2, 3]));
  index = await scanDataset(root, { onProgress: (done, total) => progress.push([done, total]) });
});

afterAll(() => folder.remove());

const byName = (batch: DatasetBatch, rel: string) => {
  const i = batch.files.indexOf(rel);
  if (i < 0) throw new Error(`${rel} is not in the batch: ${batch.files.join(', ')}`);
  const per = batch.x.data.length / batch.labels.length;
  return batch.x.data.subarray(i * per, (i + 1) * per);
};
const plane = 28 * 28;
const channelMean = (px: Float32Array, c: number) =>
  px.subarray(c * plane, (c + 1) * plane).reduce((a, b) => a + b) / plane;

describe('scanning a folder of mixed and broken files', () => {
  it('finds the three classes in code-point order, including the non-ASCII one', () => {
    expect(index.layout).toBe('classes');
    expect(index.classes).toEqual(['gray', 'rgb', UNICODE]);
  });

  it('accepts every decodable image, nested folders included, whatever its extension says', () => {
    const rels = index.splits.train.map((e) => e.rel);
    expect(rels).toEqual([
      'gray/g16.png',
      'gray/g8.png',
      'gray/ga.png',
      'gray/sub/nested.png',
      'rgb/frames.gif',
      'rgb/looks-like-jpeg.jpg',
      'rgb/noise 37x19.jpeg',
      'rgb/paint.bmp',
      'rgb/photo.webp',
      'rgb/red.png',
      'rgb/scan.tiff',
      'rgb/top.bmp',
      `${UNICODE}/rgba.png`,
      `${UNICODE}/ñoño 1.png`,
    ]);
    const format = (rel: string) => index.splits.train.find((e) => e.rel === rel)!.format;
    expect(format('rgb/looks-like-jpeg.jpg')).toBe('png');
    expect(format('rgb/paint.bmp')).toBe('bmp');
    expect(format('rgb/frames.gif')).toBe('gif');
    expect(format('rgb/scan.tiff')).toBe('tiff');
  });

  it('lists each file it skipped with the reason', () => {
    const skipped = Object.fromEntries(index.skipped.map((s) => [s.rel, s]));
    expect(Object.keys(skipped).sort()).toEqual(
      [
        'rgb/bomb.png',
        'rgb/broken.jpg',
        'rgb/notes.png',
        'rgb/rle.bmp',
        'stray.png',
        `${UNICODE}/loop`,
        `${UNICODE}/dangling.png`,
      ].sort(),
    );
    expect(skipped[`${UNICODE}/dangling.png`].kind).toBe('unreadable');
    expect(skipped[`${UNICODE}/dangling.png`].reason).toBe('file disappeared or is a broken link');
    expect(skipped['rgb/broken.jpg'].kind).toBe('unreadable');
    // Convas names the format it found and passes the decoder's reason on; the decoder's own words vary
    // (libvips says "premature end" or "warning treated as error" depending on timing), so they are not pinned.
    expect(skipped['rgb/broken.jpg'].reason).toMatch(/^JPEG: \S/);
    expect(skipped['rgb/notes.png'].kind).toBe('not-an-image');
    expect(skipped['rgb/rle.bmp'].kind).toBe('unsupported');
    expect(skipped['rgb/rle.bmp'].reason).toContain('RLE8');
    expect(skipped['stray.png'].kind).toBe('outside-class');
    expect(skipped[`${UNICODE}/loop`].kind).toBe('link-loop');
    expect(skipped[`${UNICODE}/loop`].className).toBe(UNICODE);
  });

  it('refuses the declared 30000×30000 PNG as too large from its header alone', async () => {
    const bomb = index.skipped.find((s) => s.rel === 'rgb/bomb.png')!;
    expect(bombBytes).toBeLessThan(200);
    expect(bomb.kind).toBe('too-large');
    expect(bomb.reason).toContain('30000×30000');
    // The decoder, asked directly, refuses it too before allocating 900 MB.
    const before = process.memoryUsage().rss;
    await expect(
      decodeToInput({ path: join(root, 'rgb/bomb.png'), format: 'png' }, { height: 28, width: 28, channels: 1 }, 1e8),
    ).rejects.toThrow(/pixel limit/);
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 2 ** 20);
  });

  it('reports progress once per file opened, ending at the total', () => {
    // 14 images, 5 broken or refused files, README.txt and stray.png; .DS_Store (hidden) is never opened.
    expect(progress).toHaveLength(21);
    expect(progress.at(-1)).toEqual([21, 21]);
    expect(progress.map(([done]) => done)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
  });

  it('ignores and counts hidden and non-image files', () => {
    expect(index.ignored.count).toBe(2);
    expect([...index.ignored.examples].sort()).toEqual(['rgb/.DS_Store', 'rgb/README.txt']);
  });

  it('reports storage kinds, sizes and formats', () => {
    const report = datasetReport(index);
    expect(report.totals.train).toBe(14);
    expect(report.storage.highBitDepth).toBe(1);
    // The palette PNG and the GIF.
    expect(report.storage.palette).toBe(2);
    // g8, g16, ga and nested are stored gray; the rest in colour.
    expect(report.storage.grayscale).toBe(4);
    // ga.png, rgba.png, and the GIF (libvips decodes GIF with an alpha channel).
    expect(report.storage.alpha).toBe(3);
    expect(report.formats).toEqual({ png: 8, gif: 1, jpeg: 1, bmp: 2, webp: 1, tiff: 1 });
    expect(report.sizes!.width.min).toBe(20);
    expect(report.sizes!.width.max).toBe(37);
    expect(report.sizes!.common[0]).toEqual({ size: '28×28', count: 10 });
    expect(report.skippedByKind).toEqual({
      unreadable: 2,
      'not-an-image': 1,
      unsupported: 1,
      'too-large': 1,
      'outside-class': 1,
      'link-loop': 1,
    });
    // The report is plain data: it survives JSON unchanged.
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
    const text = formatReport(report);
    expect(text).toContain('rgb/broken.jpg: unreadable: JPEG:');
    expect(text).toContain(UNICODE);
  });
});

describe('decoding every kind of image to the model input', () => {
  let rgb: DatasetBatch;
  let gray: DatasetBatch;
  beforeAll(async () => {
    rgb = await DatasetSource.create(index, { height: 28, width: 28, channels: 3 }).load('train');
    gray = await DatasetSource.create(index, { height: 28, width: 28, channels: 1 }).load('train');
  });

  it('gives every image the model shape with values in [0, 1]', () => {
    expect(rgb.x.shape).toEqual([14, 3, 28, 28]);
    expect(gray.x.shape).toEqual([14, 1, 28, 28]);
    for (const v of [...rgb.x.data, ...gray.x.data]) expect(v >= 0 && v <= 1).toBe(true);
    expect(Array.from(rgb.labels)).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2]);
  });

  it('keeps colours in CHW order', () => {
    const red = byName(rgb, 'rgb/red.png');
    expect([0, 1, 2].map((c) => channelMean(red, c))).toEqual([1, 0, 0]);
    const blue = byName(rgb, 'rgb/looks-like-jpeg.jpg');
    expect([0, 1, 2].map((c) => channelMean(blue, c))).toEqual([0, 0, 1]);
  });

  it('drops alpha over white', () => {
    expect([0, 1, 2].map((c) => channelMean(byName(rgb, `${UNICODE}/rgba.png`), c))).toEqual([1, 1, 1]);
    expect(channelMean(byName(gray, 'gray/ga.png'), 0)).toBe(1);
  });

  it('scales 16-bit samples to the same [0, 1] range', () => {
    for (const c of [0, 1, 2]) expect(channelMean(byName(rgb, 'gray/g16.png'), c)).toBeCloseTo(0.5, 2);
    expect(channelMean(byName(gray, 'gray/g16.png'), 0)).toBeCloseTo(0.5, 2);
  });

  it('expands palette images and converts gray to RGB and RGB to gray', () => {
    const pal = byName(rgb, `${UNICODE}/ñoño 1.png`);
    [10, 200, 30].forEach((v, c) => expect(Math.abs(channelMean(pal, c) - v / 255)).toBeLessThan(3 / 255));
    for (const c of [0, 1, 2]) expect(channelMean(byName(rgb, 'gray/g8.png'), c)).toBeCloseTo(77 / 255, 6);
    expect(channelMean(byName(gray, 'gray/g8.png'), 0)).toBeCloseTo(77 / 255, 6);
    // Luminance: pure blue is darker than pure red, and neither is black or white.
    const redGray = channelMean(byName(gray, 'rgb/red.png'), 0);
    const blueGray = channelMean(byName(gray, 'rgb/looks-like-jpeg.jpg'), 0);
    expect(blueGray).toBeLessThan(redGray);
    expect(blueGray).toBeGreaterThan(0);
    expect(redGray).toBeLessThan(1);
  });

  it('takes the first frame of an animated GIF', () => {
    expect([0, 1, 2].map((c) => channelMean(byName(rgb, 'rgb/frames.gif'), c))).toEqual([1, 1, 1]);
  });

  it('decodes 24-bit bottom-up and 32-bit top-down BMPs exactly', () => {
    const check = (rel: string, px: Pixels) => {
      const got = byName(rgb, rel);
      for (let p = 0; p < plane; p++) {
        for (let c = 0; c < 3; c++) {
          if (Math.round(got[c * plane + p] * 255) !== px.data[p * 3 + c])
            throw new Error(`${rel}: pixel ${p} channel ${c}`);
        }
      }
    };
    check('rgb/paint.bmp', bmpNoise);
    check('rgb/top.bmp', gradient);
  });
});

describe('resize modes', () => {
  let modes: ReturnType<typeof tempFolder>;
  let idx: DatasetIndex;
  beforeAll(async () => {
    modes = tempFolder('resize');
    // 40×20: white in the middle, black 6-pixel bands on the left and right (outside the centre 20×20).
    const wide = solid(40, 20, [0]);
    for (let y = 0; y < 20; y++) wide.data.fill(255, y * 40 + 6, y * 40 + 34);
    await writeImage(join(modes.path, 'a', 'wide.png'), wide);
    await writeImage(join(modes.path, 'b', 'white.png'), solid(40, 20, [255]));
    idx = await scanDataset(modes.path);
  });
  afterAll(() => modes.remove());

  const decode = async (resize: 'stretch' | 'fit' | 'crop', rel: string) =>
    byName(await DatasetSource.create(idx, { height: 28, width: 28, channels: 1, resize }).load('train'), rel);
  const at = (px: Float32Array, y: number, x: number) => px[y * 28 + x];

  it('stretch keeps the black bands at the sides', async () => {
    const px = await decode('stretch', 'a/wide.png');
    expect(at(px, 14, 0)).toBe(0);
    expect(at(px, 14, 14)).toBe(1);
    expect(at(px, 0, 14)).toBe(1);
  });

  it('fit letterboxes with black rows above and below', async () => {
    const px = await decode('fit', 'b/white.png');
    expect(at(px, 0, 14)).toBe(0);
    expect(at(px, 27, 14)).toBe(0);
    expect(at(px, 14, 0)).toBe(1);
    expect(at(px, 14, 27)).toBe(1);
  });

  it('crop keeps the centre, which is all white', async () => {
    const px = await decode('crop', 'a/wide.png');
    expect(Math.min(...px)).toBeGreaterThan(0.95);
  });
});

describe('caps on size', () => {
  let caps: ReturnType<typeof tempFolder>;
  beforeAll(async () => {
    caps = tempFolder('caps');
    // A photo-sized JPEG, and a small PNG.
    await writeImage(join(caps.path, 'a', 'photo.jpg'), noise(1600, 1200, 3, 1), 'jpeg');
    await writeImage(join(caps.path, 'b', 'small.png'), noise(30, 30, 3, 2));
  });
  afterAll(() => caps.remove());

  it('an image over the pixel cap is refused from its header; under it, it is downscaled to the input', async () => {
    const capped = await scanDataset(caps.path, { maxPixels: 1_000_000 });
    expect(capped.skipped).toEqual([
      expect.objectContaining({
        rel: 'a/photo.jpg',
        kind: 'too-large',
        reason: 'declares 1600×1200 (1.9 megapixels), over the cap of 1.0 megapixels',
      }),
    ]);
    const open = await scanDataset(caps.path);
    expect(open.skipped).toEqual([]);
    const batch = await DatasetSource.create(open, { height: 28, width: 28, channels: 3 }).load('train');
    expect(batch.x.shape).toEqual([2, 3, 28, 28]);
  });

  it('a file over the byte cap is refused without being read', async () => {
    const idx = await scanDataset(caps.path, { maxFileBytes: 10_000 });
    expect(idx.skipped.map((s) => [s.rel, s.kind])).toEqual([['a/photo.jpg', 'too-large']]);
    expect(idx.skipped[0].reason).toMatch(/^file is [\d.]+ MB, over the cap of 10 KB$/);
  });
});

describe('class names', () => {
  it('a class named in decomposed Unicode (NFD) in train/ and composed (NFC) in test/ is one class', async () => {
    const f = tempFolder('nfc');
    try {
      const nfd = 'cafe\u0301 noir';
      const nfc = 'caf\u00e9 noir';
      await writeImage(join(f.path, 'train', nfd, '1.png'), noise(4, 4, 1, 1));
      await writeImage(join(f.path, 'train', 'tea', '1.png'), noise(4, 4, 1, 2));
      await writeImage(join(f.path, 'test', nfc, '1.png'), noise(4, 4, 1, 3));
      await writeImage(join(f.path, 'test', 'tea', '1.png'), noise(4, 4, 1, 4));
      const idx = await scanDataset(f.path);
      expect(idx.classes).toEqual([nfc, 'tea']);
      expect(idx.splits.train.map((e) => e.label)).toEqual([0, 1]);
      expect(idx.splits.test.map((e) => e.label)).toEqual([0, 1]);
      // The files keep their names as they are on disk.
      expect(idx.splits.train[0].rel).toBe(`train/${nfd}/1.png`);
    } finally {
      f.remove();
    }
  });

  it('class and file names with markup are data: the report carries them unchanged', async () => {
    const f = tempFolder('markup');
    try {
      const name = '<img src=x onerror=alert(1)>';
      await writeImage(join(f.path, name, 'a.png'), noise(4, 4, 1, 1));
      await writeImage(join(f.path, 'plain', 'a.png'), noise(4, 4, 1, 2));
      const report = datasetReport(await scanDataset(f.path));
      expect(report.classes.map((c) => c.name)).toEqual([name, 'plain']);
    } finally {
      f.remove();
    }
  });
});

describe('the BMP decoder', () => {
  /** A BITMAPINFOHEADER BMP: `extra` (palette or masks) after the header, then rows bottom-up, padded to 4 bytes. */
  const bmp = (width: number, height: number, bits: number, compression: number, extra: number[], rows: number[][]) => {
    const stride = Math.floor((bits * width + 31) / 32) * 4;
    const offset = 54 + extra.length;
    const buf = Buffer.alloc(offset + stride * height);
    buf.write('BM', 0, 'latin1');
    buf.writeUInt32LE(buf.length, 2);
    buf.writeUInt32LE(offset, 10);
    buf.writeUInt32LE(40, 14);
    buf.writeInt32LE(width, 18);
    buf.writeInt32LE(height, 22);
    buf.writeUInt16LE(1, 26);
    buf.writeUInt16LE(bits, 28);
    buf.writeUInt32LE(compression, 30);
    Buffer.from(extra).copy(buf, 54);
    rows.forEach((row, y) => Buffer.from(row).copy(buf, offset + (height - 1 - y) * stride));
    return buf;
  };

  it('reads 8-bit palette indices and 4-bit packed indices', () => {
    // Palette entries are B, G, R, reserved.
    const palette = [0, 0, 0, 0, 255, 0, 0, 0, 0, 128, 255, 0];
    const eight = decodeBmp(bmp(3, 1, 8, 0, palette, [[2, 1, 0]]));
    expect(Array.from(eight.data)).toEqual([255, 128, 0, 0, 0, 255, 0, 0, 0]);
    // Two pixels per byte, high nibble first.
    const four = decodeBmp(
      bmp(3, 2, 4, 0, palette, [
        [0x12, 0x00],
        [0x21, 0x10],
      ]),
    );
    expect(Array.from(four.data)).toEqual([0, 0, 255, 255, 128, 0, 0, 0, 0, 255, 128, 0, 0, 0, 255, 0, 0, 255]);
  });

  it('reads 16-bit 5-6-5 pixels through their bit-field masks', () => {
    const masks = [0x00, 0xf8, 0, 0, 0xe0, 0x07, 0, 0, 0x1f, 0, 0, 0];
    // Little-endian 0xf800 (full red), 0x07e0 (full green), 0x001f (full blue).
    const px = decodeBmp(bmp(3, 1, 16, 3, masks, [[0x00, 0xf8, 0xe0, 0x07, 0x1f, 0x00]]));
    expect(Array.from(px.data)).toEqual([255, 0, 0, 0, 255, 0, 0, 0, 255]);
  });

  it('refuses a BMP declaring more pixels than the cap before allocating them', () => {
    const big = bmp(1, 1, 24, 0, [], [[1, 2, 3]]);
    big.writeInt32LE(50_000, 18);
    big.writeInt32LE(50_000, 22);
    expect(() => decodeBmp(big, 1e8)).toThrow(/50000×50000, over the pixel cap/);
  });
});
