/**
 * LeNet-5 training and inference throughput: Convas on one thread and on all cores, against TensorFlow.js 4.22
 * on its cpu backend (as shipped, and with the Conv2DBackpropFilter patch) and its wasm backend (patched, since
 * as shipped it cannot train a CNN). Batch 32, SGD, seeded random 28×28×1 images.
 *
 * Each measurement runs in a child process of its own, so that a row's peak RSS is its own. The rows take
 * turns: round k measures every row once (one warmed-up training run and one inference run, each about
 * --seconds long), starting each round with a different row, and a row's figure is its median over the
 * rounds. On a machine whose other load comes and goes, that spreads the load over all rows alike, so the
 * ratios between rows stay meaningful even when the absolute figures move.
 *
 *   npx tsx bench/lenet.bench.ts              a table, the targets and the notes
 *   npx tsx bench/lenet.bench.ts --json       one JSON object: {"rows":[...],"gemm_gflops":{...}}
 *   options: --rounds N (runs per figure, at least 5; default 5) --seconds S (length of one run, default 1.5)
 *            --rows convas-1t,tfjs-wasm-patched (a subset)
 *   internal: --row NAME [--runs K] (measure one row in this process), --row gemm
 */
import { loadavg } from 'node:os';
import { measureGemmGflops } from './gemm.bench';
import { median, printResult, runChild } from './harness';
import { measureRow, ROWS, type RowName, type RowResult } from './lenet-rows';

const GEMM_SIZES = [256, 512, 1024] as const;
const PEER: RowName = 'tfjs-wasm-patched';

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function child(row: string): Promise<void> {
  if (row === 'gemm') {
    printResult(await measureGemmGflops(GEMM_SIZES));
    return;
  }
  if (!(ROWS as readonly string[]).includes(row)) throw new Error(`unknown row '${row}'; rows are ${ROWS.join(', ')}`);
  const runs = Math.max(1, Number(option('runs') ?? 1));
  const runSeconds = Number(option('seconds') ?? 1.5);
  printResult(await measureRow(row as RowName, { runs, runSeconds }));
}

const fmt = (v: number, digits = 0) => (Number.isFinite(v) ? v.toFixed(digits) : '—');

function table(rows: RowResult[], gemm: Record<string, number>, runs: number, notes: string[], load: string): string {
  const peer = rows.find((r) => r.name === PEER);
  const ratio = (v: number, of: number | undefined) => (of ? `${(v / of).toFixed(2)}×` : '—');
  const head = [
    'row',
    'train img/s',
    'infer img/s',
    'peak RSS MB',
    'train ÷ wasm',
    'infer ÷ wasm',
    'RSS ÷ wasm',
    'train runs, img/s',
  ];
  const lines = rows.map((r) => [
    r.name,
    fmt(r.train_ips),
    fmt(r.infer_ips),
    fmt(r.rss_mb),
    ratio(r.train_ips, peer?.train_ips),
    ratio(r.infer_ips, peer?.infer_ips),
    ratio(r.rss_mb, peer?.rss_mb),
    r.trainRuns.map((v) => fmt(v)).join(' '),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const row = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const out = [
    `LeNet-5, batch 32, SGD lr 0.01, seeded random 28×28×1 images. Medians of ${runs} timed runs, each after warm-up in a`,
    `process of its own, the rows taking turns; peak RSS is the largest of a row's processes.`,
    `Training = forward + backward + update per batch; inference = class scores read back, batches of 32. ${load}`,
    '',
    row(head),
    ...lines.map(row),
    '',
    `GEMM kernel, single thread (C = A·B, n×n×n, median of 5): ${GEMM_SIZES.map((n) => `${n}: ${fmt(gemm[String(n)], 2)} GFLOPS`).join(', ')}`,
  ];
  const get = (name: RowName) => rows.find((r) => r.name === name);
  const targets: [string, number | undefined, number][] = [
    [
      'convas-all training ≥ 2× tfjs-wasm-patched',
      get('convas-all') && peer && get('convas-all')!.train_ips / peer.train_ips,
      2,
    ],
    [
      'convas-1t training ≥ 1× tfjs-wasm-patched',
      get('convas-1t') && peer && get('convas-1t')!.train_ips / peer.train_ips,
      1,
    ],
    [
      'convas-1t inference ≥ 1× tfjs-wasm-patched',
      get('convas-1t') && peer && get('convas-1t')!.infer_ips / peer.infer_ips,
      1,
    ],
  ];
  out.push('', 'Targets:');
  for (const [what, got, want] of targets) {
    out.push(
      `  ${what}: ${got === undefined ? 'not measured' : `${got.toFixed(2)}× — ${got >= want ? 'met' : 'NOT met'}`}`,
    );
  }
  for (const r of rows.filter((r) => r.name.startsWith('convas'))) {
    out.push(`  ${r.name} peak RSS < 300 MB: ${fmt(r.rss_mb)} MB — ${r.rss_mb < 300 ? 'met' : 'NOT met'}`);
  }
  out.push('', 'Notes:', ...notes.map((n) => `  ${n}`));
  return out.join('\n');
}

/** One row's results over all its processes: medians of every run, the largest peak RSS. */
function combine(parts: RowResult[]): RowResult {
  const trainRuns = parts.flatMap((p) => p.trainRuns);
  const inferRuns = parts.flatMap((p) => p.inferRuns);
  return {
    ...parts[0],
    train_ips: median(trainRuns),
    infer_ips: median(inferRuns),
    rss_mb: Math.max(...parts.map((p) => p.rss_mb)),
    trainRuns,
    inferRuns,
    notes: [...new Set(parts.flatMap((p) => p.notes))],
  };
}

async function parent(): Promise<void> {
  const json = process.argv.includes('--json');
  const rounds = Math.max(5, Number(option('rounds') ?? 5));
  const pass = option('seconds') ? ['--seconds', option('seconds')!] : [];
  const wanted = (option('rows')?.split(',') ?? [...ROWS]) as RowName[];
  const notes: string[] = [];
  const log = (line: string) => {
    notes.push(line);
    // Progress goes to stderr, so that --json keeps stdout to the one object.
    process.stderr.write(`  ${line}\n`);
  };
  const before = loadavg()[0];
  const parts = new Map<RowName, RowResult[]>(wanted.map((name) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < wanted.length; k++) {
      const name = wanted[(round + k) % wanted.length];
      process.stderr.write(`round ${round + 1}/${rounds}: ${name}…\n`);
      parts.get(name)!.push(await runChild<RowResult>(import.meta.url, ['--row', name, ...pass], log));
    }
  }
  const rows = wanted.map((name) => combine(parts.get(name)!));
  for (const r of rows) notes.push(...r.notes);
  process.stderr.write('measuring the GEMM kernel…\n');
  const gemm = await runChild<Record<string, number>>(import.meta.url, ['--row', 'gemm'], log);
  const load = `Load average (1 min) ${before.toFixed(1)} before, ${loadavg()[0].toFixed(1)} after: other processes share the cores.`;
  if (json) {
    const round = (v: number) => Math.round(v * 10) / 10;
    const out = {
      rows: rows.map((r) => ({
        name: r.name,
        train_ips: round(r.train_ips),
        infer_ips: round(r.infer_ips),
        rss_mb: round(r.rss_mb),
      })),
      gemm_gflops: Object.fromEntries(GEMM_SIZES.map((n) => [String(n), Math.round(gemm[String(n)] * 100) / 100])),
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } else {
    process.stdout.write(`\n${table(rows, gemm, rounds, [...new Set(notes)], load)}\n`);
  }
}

const row = option('row');
(row ? child(row) : parent()).catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
