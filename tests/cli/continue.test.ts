import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { readProjectFile } from '../../src/host/project/project-file';
import type { TrainingRun } from '../../src/shared/project';
import { fashionDir } from '../helpers/fashion';
import { trainPySafetensors } from '../helpers/train-py';

/**
 * The second lap on the command line, on fashion-mnist-small (its train/ folder: 4,000 training and 1,000 validation
 * images; accuracies measured on its 1,000 test images): fashion-2conv trained 2 epochs, then continued, then trained
 * from scratch; exported to ONNX, imported and continued; and weights in the layout the exported train.py writes
 * loaded back with `convas import --into`. The steps build on each other.
 */
const tmp = mkdtempSync(join(tmpdir(), 'convas-continue-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const train = join(fashionDir, 'train');
const test = join(fashionDir, 'test');
const m = join(tmp, 'm.convas');

/** `convas …` in this process (tests/cli/cli.test.ts runs bin/convas.mjs itself), with its output captured. */
async function convas(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), isTTY: false });
  return { code, stdout, stderr, first: stderr.split('\n')[0] };
}
const valAccuracies = (run: TrainingRun) => run.epochs.map((e) => e.valAccuracy as number);
async function accuracy(project: string): Promise<number> {
  const e = await convas('eval', project, '--data', test, '--json');
  expect(e.stderr.replace(/^note: .*\n/, '')).toBe('');
  expect(e.code).toBe(0);
  return (JSON.parse(e.stdout) as { accuracy: number }).accuracy;
}

describe('continuing training from the command line', () => {
  let trained: TrainingRun;
  /** m.convas's accuracy on the test images, once it is trained for good. */
  let mAccuracy: number;

  it('trains fashion-2conv 2 epochs from scratch, saying so first', async () => {
    const t = await convas(
      'train',
      'resources/templates/fashion-2conv.json',
      '--data',
      train,
      '--epochs',
      '2',
      '--out',
      m,
    );
    expect(t.code).toBe(0);
    expect(t.first).toBe('training from scratch: a new network');
    const p = await readProjectFile(m);
    expect(p.file.history).toHaveLength(1);
    trained = p.file.history[0];
    expect(trained.settings['start']).toBe('scratch');
    // The settings are the project's now, from the one set of defaults the app uses too.
    expect(p.file.settings?.hyper).toMatchObject({ optimizer: 'sgd', learningRate: 0.05, epochs: 2 });
    expect(p.kept.map((k) => k.kind)).toEqual(['best']);
  });

  it('`convas train m.convas --epochs 1` continues from its weights, and keeps the earlier run', async () => {
    const before = valAccuracies(trained);
    const t = await convas('train', m, '--epochs', '1');
    expect(t.code).toBe(0);
    expect(t.first).toMatch(/^continuing from the weights in .*m\.convas \(16 of 16 tensors kept; a new sgd optimizer/);
    const p = await readProjectFile(m);
    expect(p.file.history).toHaveLength(2);
    const [first, second] = p.file.history;
    expect(valAccuracies(first)).toEqual(before);
    expect(second.settings['start']).toBe('continue');
    expect(valAccuracies(second)[0]).toBeGreaterThanOrEqual(before[before.length - 1] - 0.03);
    expect(p.kept.map((k) => k.run)).toEqual([first.startedAt, second.startedAt]);
  });

  it("--from-scratch does not continue: its first epoch is the first run's first epoch again", async () => {
    const s = join(tmp, 's.convas');
    const t = await convas('train', m, '--epochs', '1', '--from-scratch', '--out', s);
    expect(t.code).toBe(0);
    expect(t.first).toBe('training from scratch (--from-scratch): every weight is initialised');
    const history = (await readProjectFile(s)).file.history;
    const scratch = history[history.length - 1];
    expect(scratch.settings['start']).toBe('scratch');
    const continued = (await readProjectFile(m)).file.history[1];
    console.log(
      `validation accuracy: 2 epochs ${valAccuracies(trained).join(', ')}; continued epoch 1 ` +
        `${valAccuracies(continued)[0]}; from scratch epoch 1 ${valAccuracies(scratch)[0]}`,
    );
    // The same seed on the same images from a fresh initialisation: the first run's first epoch, exactly; a run that
    // had continued would start from what two epochs learnt and score above it.
    expect(valAccuracies(scratch)[0]).toBe(valAccuracies(trained)[0]);
    expect(valAccuracies(scratch)[0]).toBeLessThan(valAccuracies(continued)[0]);
  });

  it('an ONNX export, imported and trained 1 epoch, continues from its weights and keeps its accuracy', async () => {
    const onnx = join(tmp, 'm.onnx');
    const i = join(tmp, 'i.convas');
    expect((await convas('export', m, '--format', 'onnx', '--out', onnx)).code).toBe(0);
    expect((await convas('import', onnx, '--out', i)).code).toBe(0);
    const before = await accuracy(i);
    mAccuracy = await accuracy(m);
    expect(before).toBeCloseTo(mAccuracy, 3);
    const t = await convas('train', i, '--data', train, '--epochs', '1');
    expect(t.code).toBe(0);
    expect(t.first).toMatch(/^continuing from the weights in .*i\.convas/);
    // The imported weights the run replaced stay restorable: the weights it started from.
    expect((await readProjectFile(i)).kept.map((k) => k.kind)).toEqual(['start', 'best']);
    const after = await accuracy(i);
    console.log(`ONNX round trip: accuracy ${before} imported, ${after} after one more epoch`);
    expect(after).toBeGreaterThanOrEqual(before - 0.03);
  });

  it("loads weights in train.py's safetensors layout with import --into, and eval gives their accuracy", async () => {
    const source = await readProjectFile(m);
    const file = join(tmp, 'trained.safetensors');
    writeFileSync(file, trainPySafetensors(source.weights));
    // Into a project of the same graph trained elsewhere (the ONNX one, one epoch further on).
    const i = join(tmp, 'i.convas');
    const r = await convas('import', file, '--into', i);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`loaded 16 of 16 weight tensors from ${file} into ${i}\n`);
    const loaded = await readProjectFile(i);
    for (const [name, t] of Object.entries(source.weights)) expect(loaded.weights[name].data).toEqual(t.data);
    expect(await accuracy(i)).toBeCloseTo(mAccuracy, 3);
  });

  it("makes a project of Convas's own safetensors export, whose graph travels with it", async () => {
    const dir = join(tmp, 'st');
    expect((await convas('export', m, '--format', 'safetensors', '--out', dir)).code).toBe(0);
    const back = join(tmp, 'st.convas');
    const r = await convas('import', join(dir, 'm.safetensors'), '--out', back);
    expect(r.code).toBe(0);
    const [a, b] = await Promise.all([readProjectFile(m), readProjectFile(back)]);
    expect(b.file.graph.nodes.map((n) => n.id)).toEqual(a.file.graph.nodes.map((n) => n.id));
    for (const [name, t] of Object.entries(a.weights)) expect(b.weights[name].data).toEqual(t.data);
    // train.py's files carry no graph: they go into a project.
    const bare = await convas('import', join(tmp, 'trained.safetensors'), '--out', join(tmp, 'never.convas'));
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/carries no graph .* load it into a project with --into PROJECT\.convas/);
  });

  it('says what did not fit: a tensor of another shape and one the network does not have', async () => {
    const source = await readProjectFile(m);
    const weights = { ...source.weights };
    const [kernel] = Object.keys(weights).filter((n) => n.endsWith('.kernel'));
    const t = weights[kernel];
    weights[kernel] = {
      shape: [t.shape[0] + 1, ...t.shape.slice(1)],
      data: new Float32Array((t.data.length / t.shape[0]) * (t.shape[0] + 1)),
    };
    weights['extra.bias'] = { shape: [2], data: new Float32Array(2) };
    const file = join(tmp, 'odd.safetensors');
    writeFileSync(file, trainPySafetensors(weights as typeof source.weights));
    const r = await convas('import', file, '--into', m);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^loaded 14 of 16 weight tensors/);
    expect(r.stderr).toMatch(new RegExp(`did not fit: '${kernel}' is \\[${t.shape[0] + 1}×`));
    expect(r.stderr).toMatch(/did not fit: 'extra\.bias' is not a weight of this network/);
    // The layer that did not fit keeps the project's own weights, bit for bit.
    expect((await readProjectFile(m)).weights[kernel].data).toEqual(t.data);
  });

  it('every subcommand answers --help', async () => {
    for (const name of ['train', 'eval', 'predict', 'inspect', 'report', 'export', 'import']) {
      const r = await convas(name, '--help');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^usage: convas ${name}`));
    }
  });
});
