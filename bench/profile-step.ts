/**
 * Where one training step's time goes, layer by layer: forward and backward of every node of one of the bench
 * graphs (batch 32, one thread, the WebAssembly kernels), medians over --steps steps after warm-up, with the
 * convolutions' and dense layers' GFLOPS. Profile before optimising.
 *
 * A batch norm or convolution that a training pass runs with the ReLU after it (engine/fusion.ts) carries the
 * pair's time; the ReLU's row then shows nothing.
 *
 * Convolutions also show their two backward passes apart (dW: kernel gradient, dX: input gradient), each with its own
 * GFLOPS, against forward's. Relaxed SIMD (the fused multiply-add build the app and `npm run bench` use) needs the
 * V8 flag under Node 20:
 *
 *   npx tsx --experimental-wasm-relaxed-simd bench/profile-step.ts [fashion-2conv|lenet5|mlp|vgg] [--steps 20]
 *     [--reference] [--cpu]
 *
 * --cpu times with the process's CPU time instead of the wall clock: on a machine other processes share, a layer's
 * CPU time stays near its unloaded wall time while the wall clock counts the time slices given to others too.
 */
import { Network, Rng, softmaxCrossEntropy, tensor } from '../src/engine';
import { kernels, useKernels, type Kernels } from '../src/engine/kernels';
import { createWasmKernels } from '../src/engine/kernels/wasm';
import { benchGraph, GRAPHS, type GraphName } from './graphs';
import { fillRandom, median } from './harness';

const BATCH = 32;
const name = (process.argv.slice(2).find((a) => (GRAPHS as readonly string[]).includes(a)) ??
  'fashion-2conv') as GraphName;
const stepsAt = process.argv.indexOf('--steps');
const steps = stepsAt >= 0 ? Number(process.argv[stepsAt + 1]) : 20;
if (!process.argv.includes('--reference')) useKernels(await createWasmKernels());
const cpuClock = process.argv.includes('--cpu');
/** Milliseconds, from the chosen clock. */
const now = cpuClock
  ? () => {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1000;
    }
  : () => performance.now();

// The node whose layer call is running, and the time of each of its convolution kernel calls, split by pass.
let current: string | undefined;
const passes = new Map<string, { dW: number[]; dX: number[] }>();
const timed = <K extends 'conv2dBackwardFilter' | 'conv2dBackwardInput'>(base: Kernels, key: K, pass: 'dW' | 'dX') => {
  const fn = base[key] as (...a: unknown[]) => void;
  return (...a: unknown[]) => {
    const t0 = now();
    fn.apply(base, a);
    const dt = now() - t0;
    if (current === undefined) return;
    let p = passes.get(current);
    if (!p) passes.set(current, (p = { dW: [], dX: [] }));
    p[pass].push(dt);
  };
};
const base = kernels();
useKernels({
  ...base,
  name: base.name,
  conv2dBackwardFilter: timed(base, 'conv2dBackwardFilter', 'dW'),
  conv2dBackwardInput: timed(base, 'conv2dBackwardInput', 'dX'),
} as Kernels);
const kernelName = base.name;

const bench = benchGraph(name);
const net = new Network(bench.graph, 1);
net.useWorkspace(true);
const { channels, height, width } = bench.input;
const x = tensor([BATCH, channels, height, width]);
const labels = new Int32Array(BATCH);
fillRandom(x.data, labels, bench.classes, 1);

const times = new Map<string, { fwd: number[]; bwd: number[] }>();
for (const node of net.graph.nodes) {
  const def = node.def;
  const t = { fwd: [] as number[], bwd: [] as number[] };
  times.set(node.id, t);
  // Wraps this node's layer calls only (node.def is the registry's object, shared by every node of its type).
  (node as { def: typeof def }).def = {
    ...def,
    forward: (a) => {
      const t0 = now();
      const r = def.forward(a);
      t.fwd.push(now() - t0);
      return r;
    },
    backward: (a) => {
      current = node.id;
      const t0 = now();
      const r = def.backward(a);
      t.bwd.push(now() - t0);
      current = undefined;
      return r;
    },
    // A layer fused with its ReLU (engine/fusion.ts) runs these instead; the pair's time is this node's.
    ...(def.withRelu
      ? {
          withRelu: {
            forward: (a) => {
              const t0 = now();
              const r = def.withRelu!.forward(a);
              t.fwd.push(now() - t0);
              return r;
            },
            backward: (a) => {
              current = node.id;
              const t0 = now();
              const r = def.withRelu!.backward(a);
              t.bwd.push(now() - t0);
              current = undefined;
              return r;
            },
          },
        }
      : {}),
  };
}

const softmaxId = net.graph.nodes.at(-1)!.def.type === 'softmax' ? net.graph.nodes.at(-1)!.id : undefined;
const logitsId = softmaxId ? net.graph.byId.get(softmaxId)!.inputs[0] : net.graph.outputId;
const total: number[] = [];
const rng = new Rng(2);
for (let s = 0; s < steps + 3; s++) {
  if (s === 3) {
    for (const t of times.values()) {
      t.fwd.length = 0;
      t.bwd.length = 0;
    }
    passes.clear();
  }
  const t0 = now();
  net.zeroGrads();
  const trace = net.forward(x, { training: true, rng });
  const loss = softmaxCrossEntropy(trace.outputs.get(logitsId)!, labels);
  net.backward(trace, loss.grad, logitsId, { inputGrad: false });
  if (s >= 3) total.push(now() - t0);
}

const flops = (id: string): number => {
  const node = net.graph.byId.get(id)!;
  const macs = node.def.macs?.(node.inShapes, node.outShape, node.params) ?? 0;
  return 2 * macs * BATCH;
};
const fmt = (v: number) => v.toFixed(2).padStart(7);
const gflops = (fl: number, ms: number) => (fl / ms / 1e6).toFixed(1);
console.log(
  `${name}: one training step, batch ${BATCH}, ${kernelName}, medians of ${steps} steps (ms, ${cpuClock ? 'CPU time' : 'wall clock'})`,
);
console.log(`${'node'.padEnd(10)} ${'fwd'.padStart(7)} ${'bwd'.padStart(7)}  GFLOPS fwd / bwd (dW, dX: ms GFLOPS)`);
let sum = 0;
for (const [id, t] of times) {
  const f = t.fwd.length ? median(t.fwd) : 0;
  const b = t.bwd.length ? median(t.bwd) : 0;
  sum += f + b;
  const fl = flops(id);
  const p = passes.get(id);
  const bwdFlops = p && !p.dX.length ? fl : 2 * fl;
  let g = fl ? `  ${gflops(fl, f)} / ${gflops(bwdFlops, b)}` : '';
  if (p) {
    const split = (ts: number[], label: string) =>
      ts.length ? ` ${label} ${median(ts).toFixed(2)} ${gflops(fl, median(ts))}` : ` ${label} -`;
    g += `  (${split(p.dW, 'dW').trim()},${split(p.dX, 'dX')})`;
  }
  console.log(`${id.padEnd(10)} ${fmt(f)} ${fmt(b)}${g}`);
}
console.log(`layers ${sum.toFixed(2)} ms; whole step ${median(total).toFixed(2)} ms`);
