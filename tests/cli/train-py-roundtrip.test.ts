import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { readProjectFile } from '../../src/host/project/project-file';
import { fashionDir } from '../helpers/fashion';
import { trainPySafetensors } from '../helpers/train-py';

/**
 * Weights trained by the exported train.py come back into Convas (issue 11): LeNet-5 trained one epoch in Convas on
 * fashion-mnist-small, exported for PyTorch, trained one more epoch by train.py, loaded back with
 * `convas import … --into`, and `convas eval` gives the validation accuracy PyTorch printed, to 0.001.
 * Where /usr/bin/python3 has no torch (or no Pillow, which train.py reads images with), the test writes a file in
 * train.py's layout itself, from the exported weights, and expects the accuracy of the project they came from.
 */
const PYTHON = '/usr/bin/python3';
const tmp = mkdtempSync(join(tmpdir(), 'convas-train-py-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const train = join(fashionDir, 'train');
const test = join(fashionDir, 'test');

const hasTorch = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torch, PIL'], { stdio: 'ignore' }).status === 0;

async function convas(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), isTTY: false });
  return { code, stdout, stderr };
}

async function accuracy(project: string): Promise<number> {
  const e = await convas('eval', project, '--data', test, '--json');
  expect(e.code, e.stderr).toBe(0);
  return (JSON.parse(e.stdout) as { accuracy: number }).accuracy;
}

/** Runs the exported train.py as its README says (without torchrun: one process, on the CPU). */
function trainPy(dir: string, out: string): Promise<{ code: number | null; output: string }> {
  const args = ['train.py', '--data', train, '--val', test, '--epochs', '1', '--cpu', '--workers', '0', '--out', out];
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, args, { cwd: dir, env: { ...process.env, OMP_NUM_THREADS: '1' } });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('weights trained by the exported train.py, back in Convas', () => {
  it(`load with import --into, and eval gives ${hasTorch ? "PyTorch's" : 'their'} accuracy`, async () => {
    const m = join(tmp, 'm.convas');
    const t = await convas('train', 'resources/templates/lenet5.json', '--data', train, '--epochs', '1', '--out', m);
    expect(t.code, t.stderr).toBe(0);
    const py = join(tmp, 'py');
    expect((await convas('export', m, '--format', 'pytorch', '--out', py)).code).toBe(0);
    const trained = join(tmp, 'trained.safetensors');
    let expected: number;
    if (hasTorch) {
      const r = await trainPy(py, trained);
      expect(r.code, r.output).toBe(0);
      const reported = /validation accuracy (\d\.\d+)/.exec(r.output);
      expect(reported, r.output).not.toBeNull();
      expected = Number(reported![1]);
      console.log(`train.py (PyTorch) reported validation accuracy ${expected}`);
    } else {
      writeFileSync(trained, trainPySafetensors((await readProjectFile(m)).weights));
      expected = await accuracy(m);
      console.log(`no torch at ${PYTHON}: a file in train.py's layout from the exported weights, accuracy ${expected}`);
    }
    const r = await convas('import', trained, '--into', m);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^loaded 10 of 10 weight tensors from /);
    const got = await accuracy(m);
    console.log(`convas eval after import --into: ${got}`);
    expect(Math.abs(got - expected)).toBeLessThanOrEqual(0.001);
  });
});
