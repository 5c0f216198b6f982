import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { tensor } from '../../src/engine';
import { exportNetwork, importSafetensorsInto } from '../../src/engine/formats';
import { chain } from '../helpers/graphs';
import { expectAllClose, GRAPHS, reference } from './fixtures';

/**
 * No Python framework installs on these machines, so the PyTorch export is checked three ways:
 * both files compile (python3 -m py_compile); ConvasNet's weight names and shapes match the safetensors
 * file; and ConvasNet itself, run on a numpy stand-in for torch (tests/formats/python/torch, PyTorch's
 * signatures and inference maths), agrees with the engine to 1e-4 on 200 test images. The weights it
 * saves come back into Convas bit for bit. Needs python3 with numpy on PATH.
 */

const python = 'python3';
const checker = fileURLToPath(new URL('./python/check_model.py', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'convas-pytorch-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(args: string[], cwd = work): string {
  // No bytecode caches: the stand-in torch lives in the source tree, which the tests must leave clean.
  const env = { ...process.env, PYTHONDONTWRITEBYTECODE: '1' };
  const r = spawnSync(python, args, { cwd, env, encoding: 'utf8', timeout: 60_000 });
  if (r.error)
    throw new Error(
      `could not run ${python}: ${r.error.message}; the PyTorch export tests need python3 with numpy on PATH`,
    );
  expect(r.status, `${python} ${args.join(' ')} failed:\n${r.stderr}`).toBe(0);
  return r.stdout;
}

/** Writes an export's files into a fresh folder and returns its path. */
function writeFiles(name: string, files: { name: string; bytes: Uint8Array }[]): string {
  const dir = mkdtempSync(join(work, `${name}-`));
  for (const f of files) writeFileSync(join(dir, f.name), f.bytes);
  return dir;
}

describe('PyTorch export', () => {
  it('numpy is available to check the generated code', () => {
    expect(run(['-c', 'import numpy; print(numpy.__version__)']).trim()).toMatch(/^\d+\./);
  });

  for (const [key, graph] of Object.entries(GRAPHS)) {
    it(`${key}: compiles, names and shapes match the safetensors file, forward agrees to 1e-4, saved weights come back exactly`, () => {
      const { weights, x, want } = reference(graph);
      const files = exportNetwork('pytorch', graph, weights);
      expect(files.map((f) => f.name)).toEqual(['model.py', 'train.py', `${graph.name}.safetensors`]);
      const dir = writeFiles(key, files);
      run(['-m', 'py_compile', 'model.py', 'train.py'], dir);

      const inputPath = join(dir, 'input.bin');
      writeFileSync(inputPath, new Uint8Array(x.data.buffer, x.data.byteOffset, x.data.byteLength));
      // Weights of another network: the generated loader must refuse them by name.
      const otherGraph = key === 'mlp' ? GRAPHS.lenet : GRAPHS.mlp;
      const otherPath = join(dir, 'other.safetensors');
      writeFileSync(otherPath, exportNetwork('safetensors', otherGraph, reference(otherGraph, 1).weights)[0].bytes);
      const report = JSON.parse(
        run([checker, dir, join(dir, `${graph.name}.safetensors`), inputPath, String(x.shape[0]), dir, otherPath]),
      );

      // Every tensor in the file has a place in ConvasNet with the same shape, and ConvasNet has nothing else to load.
      expect(report.missing_in_module).toEqual([]);
      expect(report.mapped).toEqual(report.file);
      expect(Object.keys(report.file).sort()).toEqual(Object.keys(weights).sort());
      expect(report.unmapped_in_module.every((k: string) => k.endsWith('num_batches_tracked'))).toBe(true);
      expect(report.input_shape).toEqual(x.shape.slice(1));
      expect(report.other_error).toMatch(/^KeyError: .*tensors this network has no place for/);

      const probs = new Float32Array(readFileSync(join(dir, 'probs.bin')).buffer.slice(0));
      const worst = expectAllClose(probs, want, 1e-4, `${key}: numpy forward of model.py`);
      console.log(`PyTorch ${key}: worst |model.py on numpy − engine| = ${worst.toExponential(2)}`);
      // logits=True stops before the final softmax (what nn.CrossEntropyLoss wants); without softmax it changes nothing.
      const logits = new Float32Array(readFileSync(join(dir, 'logits.bin')).buffer.slice(0));
      const outNode = graph.nodes[graph.nodes.length - 1];
      const scoresNode =
        outNode.type === 'softmax' ? graph.edges.find((e) => e.to.node === outNode.id)!.from.node : outNode.id;
      expectAllClose(logits, reference(graph).net.activations(x, scoresNode), 1e-4, `${key}: logits`);

      const saved = importSafetensorsInto(graph, readFileSync(join(dir, 'saved.safetensors')));
      for (const [name, t] of Object.entries(weights))
        expect(Array.from(saved[name].data), name).toEqual(Array.from(t.data));
    });
  }

  it('writes readable code: one attribute per layer, explicit padding for asymmetric same, the DDP script', () => {
    const { weights } = reference(GRAPHS.lenet, 1);
    const [model, train] = exportNetwork('pytorch', GRAPHS.lenet, weights).map((f) =>
      new TextDecoder().decode(f.bytes),
    );
    expect(model).toContain('self.conv1 = nn.Conv2d(1, 6, kernel_size=(3, 3), stride=1, padding=(1, 1), bias=True)');
    expect(model).toContain('self.conv2_pad = nn.ZeroPad2d((0, 1, 0, 1))');
    expect(model).toContain('self.pool2 = nn.AvgPool2d(kernel_size=3, stride=1, padding=1, count_include_pad=False)');
    expect(model).toContain('self.bn2 = nn.BatchNorm1d(24, eps=0.001, momentum=0.2)');
    expect(model).toContain('"fc1.kernel": "fc1.weight"');
    expect(model).toContain('"bn1.runningVar": "bn1.running_var"');
    expect(train).toContain('DistributedDataParallel(model');
    expect(train).toContain('DistributedSampler(train_set');
    expect(train).toContain('torchrun --standalone --nproc_per_node=4 train.py');
    expect(train).toContain('"LeNet-ish"');
  });

  it('gives ids that are not Python names a valid identifier', () => {
    const graph = chain(
      ['in', 'input', { vector: true, height: 2, width: 2 }],
      ['class', 'dense', { units: 3 }],
      ['my-relu', 'relu'],
    );
    const weights = { 'class.kernel': tensor([3, 4]), 'class.bias': tensor([3]) };
    const [model] = exportNetwork('pytorch', graph, weights).map((f) => new TextDecoder().decode(f.bytes));
    expect(model).toContain('self.class_ = nn.Linear(4, 3, bias=True)');
    expect(model).toContain('my_relu = self.my_relu(class_)');
    expect(model).toContain('"class.kernel": "class_.weight"');
  });

  it('refuses pooling padding PyTorch cannot express, naming the node', () => {
    const graph = chain(
      ['x', 'input', { height: 4, width: 4 }],
      ['wide', 'maxpool2d', { size: 2, stride: 1, padding: 2 }],
      ['f', 'flatten'],
    );
    expect(() => exportNetwork('pytorch', graph, {})).toThrow(
      /node 'wide': PyTorch pooling pads at most half the window/,
    );
  });
});
