import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readProjectFile } from '../../src/host/project/project-file';
import { fashionDir } from '../helpers/fashion';

/** The `convas` command line, run as a user runs it: a child process of bin/convas.mjs. */
const bin = join(import.meta.dirname, '../../bin/convas.mjs');
const tmp = mkdtempSync(join(tmpdir(), 'convas-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/**
 * Runs `convas ARGS` and resolves when it exits. Asynchronous, so that vitest keeps control while it runs (a
 * slow machine makes a run slower, never a test that cannot be interrupted).
 */
function convas(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const small = join(tmp, 'small.json');
writeFileSync(
  small,
  JSON.stringify({
    format: 'convas-graph',
    version: 1,
    nodes: [
      { id: 'x', type: 'input', params: {}, position: { x: 0, y: 0 } },
      { id: 'conv1', type: 'conv2d', params: { filters: 4, stride: 2, padding: 'same' }, position: { x: 1, y: 0 } },
      { id: 'relu1', type: 'relu', params: {}, position: { x: 2, y: 0 } },
      { id: 'flat', type: 'flatten', params: {}, position: { x: 3, y: 0 } },
      { id: 'fc', type: 'dense', params: { units: 10, init: 'glorot' }, position: { x: 4, y: 0 } },
    ],
    edges: ['x', 'conv1', 'relu1', 'flat', 'fc'].slice(1).map((to, i, a) => ({
      from: { node: i === 0 ? 'x' : a[i - 1], port: 0 },
      to: { node: to, port: 0 },
    })),
  }),
);

describe('convas train and eval, end to end', () => {
  it('trains fashion-2conv for 5 epochs on fashion-mnist-small/train and evaluates at least 0.82 on test/', async () => {
    const out = join(tmp, 'm.convas');
    const t = await convas(
      'train',
      'resources/templates/fashion-2conv.json',
      '--data',
      join(fashionDir, 'train'),
      '--epochs',
      '5',
      '--seed',
      '1',
      // The quality bar below was set for Adam; the shared default is SGD.
      '--optimizer',
      'adam',
      '--out',
      out,
    );
    expect(t.stderr).toMatch(/epoch 5\/5/);
    expect(t.code).toBe(0);
    const e = await convas('eval', out, '--data', join(fashionDir, 'test'), '--json');
    expect(e.code).toBe(0);
    const result = JSON.parse(e.stdout) as {
      accuracy: number;
      loss: number;
      per_class: Record<string, number>;
      confusion: number[][];
    };
    console.log(`convas eval: accuracy ${result.accuracy}`);
    expect(result.accuracy).toBeGreaterThanOrEqual(0.82);
    expect(Object.keys(result.per_class)).toHaveLength(10);
    expect(result.confusion.flat().reduce((a, b) => a + b, 0)).toBe(1000);

    const bag = join(fashionDir, 'test', 'bag', '00018.png');
    const p = await convas('predict', out, bag, '--json');
    expect(p.code).toBe(0);
    expect(JSON.parse(p.stdout)[0].predictions[0].class).toBe('bag');
    const grid = join(tmp, 'grid.png');
    const i = await convas('inspect', out, '--image', bag, '--layer', 'conv1', '--out', grid);
    expect(i.code).toBe(0);
    expect(i.stderr).toMatch(/16 maps of 28×28/);
    expect(existsSync(grid)).toBe(true);

    // Export to ONNX, import it back as a project: the same predictions, so the same accuracy.
    const onnx = join(tmp, 'm.onnx');
    expect((await convas('export', out, '--format', 'onnx', '--out', onnx)).code).toBe(0);
    const back = join(tmp, 'back.convas');
    expect((await convas('import', onnx, '--out', back)).code).toBe(0);
    const again = await convas('eval', back, '--data', join(fashionDir, 'test'), '--json');
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).accuracy).toBe(result.accuracy);
    for (const format of ['tfjs', 'safetensors', 'pytorch']) {
      const r = await convas('export', out, '--format', format, '--out', join(tmp, format));
      expect(r.code, r.stderr).toBe(0);
    }
    expect(existsSync(join(tmp, 'tfjs', 'model.json'))).toBe(true);
  }, 900_000);

  it('a killed run resumes from its last checkpoint and finishes', async () => {
    const out = join(tmp, 'resumed.convas');
    const checkpoint = `${out}.checkpoint`;
    const child = spawn(process.execPath, [bin, 'train', small, '--epochs', '3', '--seed', '2', '--out', out], {
      stdio: 'pipe',
    });
    // Kill it as soon as the first epoch's checkpoint is on disk.
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (existsSync(checkpoint)) {
          clearInterval(timer);
          child.kill('SIGKILL');
          resolve();
        }
      }, 20);
      child.on('exit', () => {
        clearInterval(timer);
        if (!existsSync(checkpoint)) reject(new Error('the run ended before writing a checkpoint'));
        else resolve();
      });
    });
    expect(existsSync(out)).toBe(false);
    const r = await convas('train', small, '--epochs', '3', '--seed', '2', '--out', out, '--resume');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/resuming from .* after epoch [12]/);
    expect(r.stderr).toMatch(/epoch 3\/3/);
    const saved = await readProjectFile(out);
    expect(saved.file.history[0].epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(saved.file.dataset?.classes).toHaveLength(10);
  }, 300_000);

  it('--augment sets the augmentation the project keeps, and a continued run keeps it', async () => {
    const out = join(tmp, 'augmented.convas');
    const r = await convas('train', small, '--epochs', '1', '--augment', 'flip,shift=0.1', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    const augment = { flip: true, shift: 0.1, rotate: 0, brightness: 0, contrast: 0 };
    expect((await readProjectFile(out)).file.settings?.data.augment).toEqual(augment);
    const again = await convas('train', out, '--epochs', '1', '--augment', 'rotate=5');
    expect(again.code, again.stderr).toBe(0);
    expect((await readProjectFile(out)).file.settings?.data.augment).toEqual({ ...augment, rotate: 5 });
  }, 300_000);

  it('--schedule and --label-smoothing are kept in the project and recorded with the run; a continued run keeps them', async () => {
    const out = join(tmp, 'cosine.convas');
    const r = await convas(
      'train',
      small,
      '--epochs',
      '1',
      '--schedule',
      'cosine',
      '--label-smoothing',
      '0.1',
      '--out',
      out,
    );
    expect(r.code, r.stderr).toBe(0);
    let file = (await readProjectFile(out)).file;
    expect(file.settings?.hyper.schedule).toBe('cosine');
    expect(file.settings?.hyper.labelSmoothing).toBe(0.1);
    expect(file.history.at(-1)?.settings['schedule']).toBe('cosine');
    expect(file.history.at(-1)?.settings['labelSmoothing']).toBe(0.1);
    expect((await convas('train', out, '--epochs', '1')).code).toBe(0);
    file = (await readProjectFile(out)).file;
    expect(file.history.map((run) => run.settings['schedule'])).toEqual(['cosine', 'cosine']);
    expect((await convas('train', out, '--epochs', '1', '--schedule', 'constant')).code).toBe(0);
    expect((await readProjectFile(out)).file.settings?.hyper.schedule).toBe('constant');
  }, 300_000);
});

describe('convas refuses bad input with one line and exit code 2', () => {
  const oneLine = (r: { stderr: string }) => {
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  };

  it.each([
    [
      ['train', small, '--epochs', 'many', '--out', '/tmp/x.convas'],
      /--epochs must be a whole number from 1 to 10000, got 'many'/,
    ],
    [['train', small, '--frobnicate', '--out', '/tmp/x.convas'], /Unknown option '--frobnicate'/],
    [['train', small], /--out is required/],
    [['train', '/no/such/graph.json', '--out', '/tmp/x.convas'], /no such file or folder: \/no\/such\/graph\.json/],
    [['eval', '/no/such.convas', '--data', '.'], /cannot read '\/no\/such\.convas'/],
    [
      ['train', small, '--optimizer', 'rmsprop', '--out', '/tmp/x.convas'],
      /--optimizer must be one of sgd, momentum, adam/,
    ],
    [['train', small, '--augment', 'spin', '--out', '/tmp/x.convas'], /--augment takes 'none' or words from flip/],
    [['train', small, '--schedule', 'step', '--out', '/tmp/x.convas'], /--schedule must be one of constant, cosine/],
    [
      ['train', small, '--label-smoothing', '0.7', '--out', '/tmp/x.convas'],
      /--label-smoothing must be a number from 0 to 0.5, got '0.7'/,
    ],
    [
      ['train', small, '--augment', 'flip,shift=0.9', '--out', '/tmp/x.convas'],
      /--augment shift must be a number from 0 to 0.5/,
    ],
    [['dance'], /unknown command 'dance'/],
    [
      ['export', '/no/such.convas', '--format', 'keras', '--out', '/tmp/x'],
      /--format must be one of onnx, tfjs, safetensors, pytorch/,
    ],
  ])('convas %j', async (args, message) => {
    const r = await convas(...(args as string[]));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    oneLine(r);
  });

  it('a graph that does not compile names the node', async () => {
    const bad = join(tmp, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({
        format: 'convas-graph',
        version: 1,
        nodes: [
          { id: 'x', type: 'input', params: {}, position: { x: 0, y: 0 } },
          { id: 'wide', type: 'conv2d', params: { kernelH: 40, kernelW: 5 }, position: { x: 1, y: 0 } },
        ],
        edges: [{ from: { node: 'x', port: 0 }, to: { node: 'wide', port: 0 } }],
      }),
    );
    const r = await convas('train', bad, '--out', join(tmp, 'never.convas'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/node 'wide' \(Conv2D\): the 40-pixel window is larger than the input height 28/);
    oneLine(r);
    const verbose = await convas('train', bad, '--out', join(tmp, 'never.convas'), '--verbose');
    expect(verbose.stderr).toMatch(/\n\s+at /);
  });
});
