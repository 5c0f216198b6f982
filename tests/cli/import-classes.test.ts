import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readProjectFile } from '../../src/host/project/project-file';

/**
 * `convas import` of a PyTorch-made ONNX file whose metadata names its classes (tests/fixtures/onnx-pytorch, the
 * tiny ResNet, names set with onnx.helper.set_model_props), then `convas predict`: the names, not "class 7".
 */
const bin = join(import.meta.dirname, '../../bin/convas.mjs');
const tmp = mkdtempSync(join(tmpdir(), 'convas-import-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const convas = (...args: string[]) =>
  spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000 });

describe('convas import keeps the class names of the file, and predict prints them', () => {
  it('imports resnet-tiny.onnx and predicts a sample image with Fashion-MNIST class names', async () => {
    const out = join(tmp, 'resnet.convas');
    const imp = convas('import', join(import.meta.dirname, '../fixtures/onnx-pytorch/resnet-tiny.onnx'), '--out', out);
    expect(imp.status, imp.stderr).toBe(0);
    expect(imp.stderr).toMatch(/10 class names/);
    expect((await readProjectFile(out)).file.classes?.[9]).toBe('Ankle boot');
    const dir = join(import.meta.dirname, '../../resources/sample/train/bag');
    const image = join(dir, readdirSync(dir)[0]);
    const p = convas('predict', out, image, '--json');
    expect(p.status, p.stderr).toBe(0);
    const [result] = JSON.parse(p.stdout) as { predictions: { class: string; probability: number }[] }[];
    expect(result.predictions).toHaveLength(3);
    for (const r of result.predictions)
      expect([
        'T-shirt/top',
        'Trouser',
        'Pullover',
        'Dress',
        'Coat',
        'Sandal',
        'Shirt',
        'Sneaker',
        'Bag',
        'Ankle boot',
      ]).toContain(r.class);
  });
});
