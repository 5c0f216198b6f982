/**
 * `npm run bench`: training and inference throughput of four graphs (the LeNet-5 and fashion-2conv templates, an MLP
 * 784-256-10 and a VGG-style 32×32×3 net: bench/graphs.ts) through Convas on one thread and on all cores, and through
 * PyTorch at the same thread counts, running the model.py Convas itself exports for the same graph, from the same
 * initial weights, on the same seeded data. Batch 32, SGD (lr 0.01), cross-entropy from the logits. LeNet-5 also
 * keeps its TensorFlow.js wasm row (bench/lenet-rows.ts). PyTorch rows need /usr/bin/python3 with torch (Debian's
 * python3-torch); without it they are skipped with a note.
 *
 * Every measurement runs in a child process of its own; the rows take turns (round k measures every row once,
 * starting from a different row), and a row's figure is its median over the rounds, so load from other processes
 * falls on all rows alike and the ratios, taken in the same run, stay meaningful.
 *
 *   npm run bench                      the tables, the targets, the kernels' ceiling, the notes
 *   npm run -s bench -- --json         one JSON object instead
 *   options: --rounds N (default 5) --seconds S (one timed run, default 1.5) --graphs lenet5,mlp (a subset)
 *            --rows convas-1t,torch-1t (a subset of convas-1t, convas-all, torch-1t, torch-all, tfjs-wasm-patched)
 *            --python PATH (default /usr/bin/python3) --no-ceiling
 *            --plain-simd (Convas on the plain 128-bit SIMD build even where relaxed SIMD could be turned on)
 *
 * Convas's rows run Node with relaxed SIMD turned on (--experimental-wasm-relaxed-simd), so that its kernels take
 * the fused multiply-add build as they do in the desktop app: Electron's V8 (and Node 22+) has relaxed SIMD on by
 * default, Node 20 only behind that flag. --plain-simd measures the build Node 20 runs without it.
 *   internal: --row NAME --graph G (measure one row in this process), --row ceiling
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchGraph, GRAPHS, type GraphName } from './graphs';
import { median, printResult, runChild, runCommand } from './harness';
import { measureRow } from './lenet-rows';
import {
  BATCH,
  benchData,
  LEARNING_RATE,
  measureConvas,
  measureKernelCeiling,
  torchExport,
  type Measured,
} from './suite-rows';

const KINDS = ['convas-1t', 'convas-all', 'torch-1t', 'torch-all', 'tfjs-wasm-patched'] as const;
type Kind = (typeof KINDS)[number];
const GEMM_SIZES = [256, 512, 1024];

/** The targets: Convas ÷ PyTorch, training and inference, at the same thread count. */
const TARGETS: Record<GraphName, { train: number; infer: number }> = {
  'fashion-2conv': { train: 1.0, infer: 1.0 },
  lenet5: { train: 1.3, infer: 1.0 },
  mlp: { train: 2.0, infer: 1.0 },
  vgg: { train: 0.75, infer: 0.8 },
};

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const runOptions = () => ({ runs: 1, seconds: Number(option('seconds') ?? 1.5) });

async function child(row: string): Promise<void> {
  if (row === 'ceiling') return printResult(await measureKernelCeiling(GEMM_SIZES));
  if (row === 'tfjs-wasm-patched') {
    const r = await measureRow('tfjs-wasm-patched', { runs: 1, runSeconds: runOptions().seconds });
    return printResult({ ...r, notes: r.notes } satisfies Measured);
  }
  if (row !== 'convas-1t' && row !== 'convas-all') throw new Error(`unknown row '${row}'`);
  const graph = option('graph') as GraphName;
  printResult(await measureConvas(graph, row === 'convas-1t' ? 'one' : 'all', runOptions()));
}

interface Row {
  graph: GraphName;
  kind: Kind;
  parts: Measured[];
}

const fmt = (v: number | undefined, digits = 0) =>
  v !== undefined && Number.isFinite(v) ? v.toLocaleString('en-US', { maximumFractionDigits: digits }) : '—';

function pad(lines: string[][]): string[] {
  const widths = lines[0].map((_, i) => Math.max(...lines.map((l) => l[i].length)));
  return lines.map((cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));
}

async function parent(): Promise<void> {
  const json = process.argv.includes('--json');
  const rounds = Math.max(1, Number(option('rounds') ?? 5));
  const seconds = option('seconds');
  const python = option('python') ?? '/usr/bin/python3';
  const graphs = (option('graphs')?.split(',') ?? [...GRAPHS]) as GraphName[];
  for (const g of graphs) if (!(GRAPHS as readonly string[]).includes(g)) throw new Error(`unknown graph '${g}'`);
  let kinds = (option('rows')?.split(',') ?? [...KINDS]) as Kind[];
  const notes: string[] = [];
  const log = (line: string) => {
    notes.push(line);
    process.stderr.write(`  ${line}\n`);
  };
  const probe = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  const torch = probe.status === 0;
  if (!torch) {
    kinds = kinds.filter((k) => !k.startsWith('torch'));
    notes.push(`PyTorch rows skipped: ${python} cannot import torch (on Debian: apt install python3-torch)`);
  }

  // Convas's own PyTorch export of each graph, and the data every row of that graph reads.
  const dir = mkdtempSync(join(tmpdir(), 'convas-bench-'));
  const inputs = new Map<GraphName, { model: string; data: string; count: number; shape: string }>();
  for (const name of graphs) {
    const b = benchGraph(name);
    const sub = join(dir, name);
    rmSync(sub, { recursive: true, force: true });
    spawnSync('mkdir', ['-p', sub]);
    for (const f of torchExport(b)) writeFileSync(join(sub, f.name), f.bytes);
    const { x, labels, count } = benchData(b);
    writeFileSync(join(sub, 'data.bin'), Buffer.concat([Buffer.from(x.buffer), Buffer.from(labels.buffer)]));
    const shape = [b.input.channels, b.input.height, b.input.width].join(',');
    inputs.set(name, { model: join(sub, 'model.py'), data: join(sub, 'data.bin'), count, shape });
  }

  const rows: Row[] = graphs.flatMap((graph) =>
    kinds
      .filter((kind) => kind !== 'tfjs-wasm-patched' || graph === 'lenet5')
      .map((kind) => ({ graph, kind, parts: [] })),
  );
  const pass = seconds ? ['--seconds', seconds] : [];
  const script = fileURLToPath(new URL('./torch-row.py', import.meta.url));
  const all = availableParallelism();
  const v8Flags = process.argv.includes('--plain-simd') ? [] : ['--experimental-wasm-relaxed-simd'];
  const before = loadavg()[0];
  const measure = (r: Row): Promise<Measured> => {
    if (r.kind.startsWith('torch')) {
      const input = inputs.get(r.graph)!;
      const threads = r.kind === 'torch-1t' ? 1 : all;
      return runCommand<Measured>(
        python,
        [
          script,
          '--model',
          input.model,
          '--data',
          input.data,
          '--count',
          String(input.count),
          '--shape',
          input.shape,
          '--threads',
          String(threads),
          '--batch',
          String(BATCH),
          '--lr',
          String(LEARNING_RATE),
          ...pass,
        ],
        log,
      );
    }
    return runChild<Measured>(import.meta.url, ['--row', r.kind, '--graph', r.graph, ...pass], log, v8Flags);
  };
  try {
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < rows.length; k++) {
        const r = rows[(round + k) % rows.length];
        process.stderr.write(`round ${round + 1}/${rounds}: ${r.graph} ${r.kind}…\n`);
        r.parts.push(await measure(r));
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  let ceiling: { convas?: Record<string, number>; torch?: Record<string, number> } = {};
  if (!process.argv.includes('--no-ceiling')) {
    process.stderr.write('measuring the kernels (GEMM, one convolution), Convas and PyTorch, one thread…\n');
    ceiling = {
      convas: await runChild<Record<string, number>>(import.meta.url, ['--row', 'ceiling'], log, v8Flags),
      torch: torch
        ? await runCommand<Record<string, number>>(
            python,
            [script, '--gemm', GEMM_SIZES.join(','), '--threads', '1'],
            log,
          )
        : undefined,
    };
  }
  const after = loadavg()[0];

  const figure = (r: Row | undefined, key: 'train_ips' | 'infer_ips') =>
    r && r.parts.length ? median(r.parts.map((p) => p[key])) : undefined;
  const find = (graph: GraphName, kind: Kind) => rows.find((r) => r.graph === graph && r.kind === kind);
  const results = rows.map((r) => ({
    graph: r.graph,
    row: r.kind,
    train_ips: figure(r, 'train_ips')!,
    infer_ips: figure(r, 'infer_ips')!,
    rss_mb: Math.max(...r.parts.map((p) => p.rss_mb)),
    train_runs: r.parts.map((p) => p.train_ips),
  }));
  const ratios = graphs.flatMap((graph) =>
    (['1t', 'all'] as const).map((t) => {
      const ours = find(graph, `convas-${t}`);
      const theirs = find(graph, `torch-${t}`);
      const ratio = (key: 'train_ips' | 'infer_ips') => {
        const a = figure(ours, key);
        const b = figure(theirs, key);
        return a !== undefined && b !== undefined ? a / b : undefined;
      };
      return { graph, threads: t, train: ratio('train_ips'), infer: ratio('infer_ips'), target: TARGETS[graph] };
    }),
  );
  for (const r of rows) for (const p of r.parts) notes.push(...p.notes);
  const load = { before: Math.round(before * 100) / 100, after: Math.round(after * 100) / 100, cores: all };

  if (json) {
    process.stdout.write(`${JSON.stringify({ rows: results, ratios, ceiling, load, rounds })}\n`);
    return;
  }
  const out: string[] = [
    `Batch ${BATCH}, SGD lr ${LEARNING_RATE}, seeded random data, the same for every row of a graph. Medians of ${rounds}`,
    `round${rounds > 1 ? 's' : ''}, each row measured once a round in a process of its own, the rows taking turns.`,
    `Load average (1 min) ${load.before} before, ${load.after} after, on ${all} cores: other processes share them.`,
    '',
  ];
  const head = ['graph', 'row', 'train img/s', 'infer img/s', 'peak RSS MB', 'train ÷ torch', 'infer ÷ torch'];
  const lines = results.map((r) => {
    const t = r.row.endsWith('-1t') ? '1t' : 'all';
    const ratio = ratios.find((q) => q.graph === r.graph && q.threads === t);
    const mine = r.row.startsWith('convas');
    return [
      r.graph,
      r.row,
      fmt(r.train_ips),
      fmt(r.infer_ips),
      fmt(r.rss_mb),
      mine && ratio?.train !== undefined ? `${ratio.train.toFixed(2)}×` : '',
      mine && ratio?.infer !== undefined ? `${ratio.infer.toFixed(2)}×` : '',
    ];
  });
  out.push(...pad([head, ...lines]), '', 'Targets (Convas ÷ PyTorch at the same thread count):');
  for (const q of ratios) {
    for (const key of ['train', 'infer'] as const) {
      const got = q[key];
      const want = q.target[key];
      out.push(
        `  ${q.graph} ${key === 'train' ? 'training' : 'inference'}, ${q.threads === '1t' ? '1 thread' : 'all cores'} ≥ ${want}×: ` +
          (got === undefined ? 'not measured' : `${got.toFixed(2)}× — ${got >= want ? 'met' : 'NOT met'}`),
      );
    }
  }
  if (ceiling.convas) {
    out.push('', 'Kernels, one thread, GFLOPS (GEMM n×n×n; convolution 32×64×16×16 → 64 filters 3×3 same):');
    const keys = Object.keys(ceiling.convas);
    out.push(
      ...pad([
        ['', ...keys],
        [
          `convas (${v8Flags.length ? 'wasm relaxed SIMD, FMA' : 'wasm 128-bit SIMD'})`,
          ...keys.map((k) => fmt(ceiling.convas![k], 1)),
        ],
        ...(ceiling.torch ? [['pytorch', ...keys.map((k) => fmt(ceiling.torch![k], 1))]] : []),
      ]).map((l) => `  ${l}`),
    );
  }
  out.push('', 'Notes:', ...[...new Set(notes)].map((n) => `  ${n}`));
  process.stdout.write(`${out.join('\n')}\n`);
}

const row = option('row');
(row ? child(row) : parent()).catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
