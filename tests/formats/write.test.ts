import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Network, tensor } from '../../src/engine';
import { exportNetwork, FormatError } from '../../src/engine/formats';
import {
  ExportWriteError,
  exportToPath,
  importOnnxFile,
  importSafetensorsFile,
  writeExport,
} from '../../src/host/export';
import { GRAPHS, reference } from './fixtures';

/**
 * Writing exports to disk (RELIABILITY case 20): a failed export leaves whatever was at the path before
 * byte for byte, and leaves no temporary files behind.
 */

const root = mkdtempSync(join(tmpdir(), 'convas-export-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => {
  const d = join(root, `case${n++}`);
  mkdirSync(d);
  return d;
};
const bytes = (s: string) => new TextEncoder().encode(s);

describe('exportToPath and writeExport', () => {
  const { weights, x, want } = reference(GRAPHS.residual, 20);

  it('writes a single-file format at the path itself, replacing an earlier export', async () => {
    const dir = freshDir();
    const out = join(dir, 'net.onnx');
    writeFileSync(out, 'an earlier export');
    expect(await exportToPath('onnx', GRAPHS.residual, weights, out)).toEqual([out]);
    const back = await importOnnxFile(out);
    const net = new Network(back.graph);
    net.setWeights(back.weights);
    expect(Array.from(net.predict(x).data)).toEqual(Array.from(want.data));
    expect(readdirSync(dir)).toEqual(['net.onnx']);
  });

  it('writes a multi-file format into a folder, creating it', async () => {
    const out = join(freshDir(), 'nested', 'tfjs-model');
    const paths = await exportToPath('tfjs', GRAPHS.residual, weights, out);
    expect(paths).toEqual([join(out, 'model.json'), join(out, 'weights.bin')]);
    expect(readdirSync(out).sort()).toEqual(['model.json', 'weights.bin']);
  });

  it('reads safetensors back from disk into the graph', async () => {
    const out = freshDir();
    await exportToPath('safetensors', GRAPHS.residual, weights, out);
    const back = await importSafetensorsFile(GRAPHS.residual, join(out, 'residual.safetensors'));
    expect(Array.from(back['res-bn.runningVar'].data)).toEqual(Array.from(weights['res-bn.runningVar'].data));
  });

  it('an export that fails before writing (NaN weights) leaves the earlier file intact', async () => {
    const dir = freshDir();
    const out = join(dir, 'net.onnx');
    const earlier = exportNetwork('onnx', GRAPHS.residual, weights)[0].bytes;
    writeFileSync(out, earlier);
    const bad = { ...weights, 'stem.bias': tensor([6], new Float32Array(6).fill(NaN)) };
    await expect(exportToPath('onnx', GRAPHS.residual, bad, out)).rejects.toThrow(FormatError);
    expect(readFileSync(out).equals(Buffer.from(earlier))).toBe(true);
    expect(readdirSync(dir)).toEqual(['net.onnx']);
  });

  it('an export that fails while writing leaves every earlier file intact and no temporary file', async () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'model.json'), 'earlier json');
    writeFileSync(join(dir, 'model.bin'), 'earlier bin');
    // The second file's name is longer than any file system allows, so writing it fails after the first is written.
    const files = [
      { name: 'model.json', bytes: bytes('new json') },
      { name: `${'w'.repeat(300)}.bin`, bytes: bytes('new bin') },
    ];
    await expect(writeExport(files, dir)).rejects.toThrow(ExportWriteError);
    expect(readFileSync(join(dir, 'model.json'), 'utf8')).toBe('earlier json');
    expect(readFileSync(join(dir, 'model.bin'), 'utf8')).toBe('earlier bin');
    expect(readdirSync(dir).sort()).toEqual(['model.bin', 'model.json']);
  });

  it('refuses file names that would leave the folder, and replacing a folder with a file', async () => {
    const dir = freshDir();
    await expect(
      writeExport(
        [
          { name: '../escape.txt', bytes: bytes('x') },
          { name: 'b', bytes: bytes('y') },
        ],
        dir,
      ),
    ).rejects.toThrow(/is not a plain file name/);
    mkdirSync(join(dir, 'model.json'));
    await expect(
      writeExport(
        [
          { name: 'model.json', bytes: bytes('x') },
          { name: 'b', bytes: bytes('y') },
        ],
        dir,
      ),
    ).rejects.toThrow(/is a folder/);
    expect(existsSync(join(root, 'escape.txt'))).toBe(false);
    expect(readdirSync(dir)).toEqual(['model.json']);
  });

  it('a single file whose path is an existing folder goes inside it', async () => {
    const dir = freshDir();
    expect(await writeExport([{ name: 'a.onnx', bytes: bytes('onnx') }], dir)).toEqual([join(dir, 'a.onnx')]);
  });

  it('names the file when an import fails', async () => {
    const dir = freshDir();
    const path = join(dir, 'broken.onnx');
    writeFileSync(path, 'not a model at all');
    await expect(importOnnxFile(path)).rejects.toThrow(`${path}: not an ONNX model`);
  });
});
