import type { ConvGeometry, Kernels, NormGeometry, PoolGeometry } from '../types';
import type { WasmArena } from './arena';
import type { KernelExports, WasmVariant } from './module';

/** The Kernels interface on the WebAssembly module, plus what a caller may want to know about the instance. */
export interface WasmKernels extends Kernels {
  readonly variant: WasmVariant;
  /** Bytes of WebAssembly memory this backend holds (it grows to the largest call, then stays). */
  memoryBytes(): number;
}

/** Throws unless `arr` holds at least `count` values; names the kernel, the argument and what it should hold. */
function need(op: string, name: string, arr: Float32Array | Int32Array, count: number, what: string): void {
  if (arr.length < count) {
    throw new Error(`wasm ${op}: ${name} has ${arr.length} values, needs ${count} (${what})`);
  }
}

/** Throws unless every geometry field is a whole number ≥ 0 (stride ≥ 1): the module trusts them for addressing. */
function checkGeometry(op: string, g: ConvGeometry | PoolGeometry | Omit<NormGeometry, 'epsilon'>): void {
  for (const [key, value] of Object.entries(g)) {
    if (!Number.isInteger(value) || value < (key === 'stride' ? 1 : 0)) {
      throw new Error(
        `wasm ${op}: geometry ${key} = ${value} is not a whole number${key === 'stride' ? ' ≥ 1' : ' ≥ 0'}`,
      );
    }
  }
}

/**
 * Every call copies its inputs into the arena once (whole batches, not image by image), runs one export that loops
 * over the batch inside WebAssembly, and copies the results out once. Outputs that the kernel overwrites are not
 * copied in; those it adds into (gemm with accumulate, the filter and bias gradients) are.
 */
export function bindKernels(ex: KernelExports, arena: WasmArena, variant: WasmVariant): WasmKernels {
  const conv = (op: string, g: ConvGeometry): { ckk: number; ohw: number } => {
    checkGeometry(op, g);
    ex.setConvGeometry(g.n, g.c, g.h, g.w, g.f, g.kh, g.kw, g.stride, g.padTop, g.padLeft, g.oh, g.ow);
    return { ckk: g.c * g.kh * g.kw, ohw: g.oh * g.ow };
  };
  const pool = (op: string, g: PoolGeometry): { inputs: number; outputs: number } => {
    checkGeometry(op, g);
    ex.setPoolGeometry(g.n, g.c, g.h, g.w, g.size, g.stride, g.pad, g.oh, g.ow);
    return { inputs: g.n * g.c * g.h * g.w, outputs: g.n * g.c * g.oh * g.ow };
  };

  let flipped = new Float32Array(0);
  /**
   * At stride 1 the input gradient is itself a convolution: dy (f channels, oh×ow) correlated with the kernel turned
   * 180° and transposed to [c, f, kh, kw], padded by kh−1−padTop above and kw−1−padLeft on the left, h×w outputs
   * (rows and columns of dy past its end read as zeros). So it runs on the direct forward kernels, at forward's
   * speed, instead of GEMM + col2im's scatter. Returns false, leaving dx alone, when the direct path does not take
   * that geometry (padding wider than the kernel, or a plan it declines) or it would multiply mostly padding.
   */
  const backwardInputAsForward = (g: ConvGeometry, dy: Float32Array, kernel: Float32Array, dx: Float32Array) => {
    const padTop = g.kh - 1 - g.padTop;
    const padLeft = g.kw - 1 - g.padLeft;
    if (g.stride !== 1 || padTop < 0 || padLeft < 0) return false;
    ex.setConvGeometry(g.n, g.f, g.oh, g.ow, g.c, g.kh, g.kw, 1, padTop, padLeft, g.h, g.w);
    const path = ex.conv2dForwardPath();
    if (path === 0) return false;
    // An unpadded ('valid') convolution's dy is padded all round here, and the tiles multiply those zeros too
    // (LeNet's second convolution: 14×14 outputs from 10×10, twice the work); GEMM + col2im does less then. Not so
    // on the Winograd path (3), whose 2.25× fewer multiplies pay for the zeros.
    if (path !== 3 && g.h * g.w * 4 > g.oh * g.ow * 5) return false;
    const taps = g.kh * g.kw;
    const size = g.f * g.c * taps;
    if (flipped.length < size) flipped = new Float32Array(size);
    for (let f = 0; f < g.f; f++) {
      for (let c = 0; c < g.c; c++) {
        const from = (f * g.c + c) * taps;
        const to = (c * g.f + f) * taps + taps - 1;
        for (let t = 0; t < taps; t++) flipped[to - t] = kernel[from + t];
      }
    }
    const xs = g.n * g.c * g.h * g.w;
    const ys = g.n * g.f * g.oh * g.ow;
    arena.begin();
    const pdy = arena.take(ys);
    const pk = arena.take(size);
    const pdx = arena.take(xs);
    const scratch = arena.take(ex.conv2dForwardScratch());
    arena.commit('conv2dBackwardInput');
    arena.write(pdy, dy, ys);
    arena.write(pk, flipped, size);
    ex.conv2dForward(pdy, pk, 0, 0, pdx, scratch);
    arena.read(pdx, dx, xs);
    return true;
  };

  /**
   * At stride S > 1 the input gradient splits into S×S phases: the rows iy ≡ ry and columns ix ≡ rx (mod S) of dx
   * receive only the kernel taps ky ≡ ry + padTop and kx ≡ rx + padLeft (mod S), and over those, phase (ry, rx) is a
   * stride-1 convolution of dy with that sub-kernel turned 180° and transposed, as in backwardInputAsForward. Its
   * padding, from the first dy row and column each output reads, may be negative (the phase starts past dy's first
   * row), which the direct forward's padded copy handles. Each phase runs on the direct forward path and is written
   * into place, S apart, by scatterPhase; no column matrix and no col2im. Phases no tap reaches (S wider than the
   * kernel) are zeros. Returns false, leaving dx alone, when the direct path declines a phase.
   */
  let subKernel = new Float32Array(0);
  const backwardInputByPhases = (g: ConvGeometry, dy: Float32Array, kernel: Float32Array, dx: Float32Array) => {
    const s = g.stride;
    if (s === 1) return false;
    type Phase = { ry: number; rx: number; hq: number; wq: number; ky: number; kx: number; mh: number; mw: number };
    const phases: (Phase & { padTop: number; padLeft: number })[] = [];
    let scratchFloats = 0;
    let phaseFloats = 0;
    for (let ry = 0; ry < s && ry < g.h; ry++) {
      for (let rx = 0; rx < s && rx < g.w; rx++) {
        const hq = Math.ceil((g.h - ry) / s);
        const wq = Math.ceil((g.w - rx) / s);
        const ky = (ry + g.padTop) % s;
        const kx = (rx + g.padLeft) % s;
        const mh = ky < g.kh ? Math.ceil((g.kh - ky) / s) : 0;
        const mw = kx < g.kw ? Math.ceil((g.kw - kx) / s) : 0;
        // Output row i of the phase reads dy rows i + ⌊(ry + padTop)/S⌋ − m for taps m < mh: padding mh − 1 − that.
        const padTop = mh - 1 - Math.floor((ry + g.padTop) / s);
        const padLeft = mw - 1 - Math.floor((rx + g.padLeft) / s);
        phases.push({ ry, rx, hq, wq, ky, kx, mh, mw, padTop, padLeft });
        if (mh === 0 || mw === 0) continue;
        ex.setConvGeometry(g.n, g.f, g.oh, g.ow, g.c, mh, mw, 1, padTop, padLeft, hq, wq);
        if (ex.conv2dForwardPath() === 0) return false;
        scratchFloats = Math.max(scratchFloats, ex.conv2dForwardScratch());
        phaseFloats = Math.max(phaseFloats, g.n * g.c * hq * wq);
      }
    }
    const xs = g.n * g.c * g.h * g.w;
    const ys = g.n * g.f * g.oh * g.ow;
    const kernelFloats = g.c * g.f * Math.ceil(g.kh / s) * Math.ceil(g.kw / s);
    if (subKernel.length < kernelFloats) subKernel = new Float32Array(kernelFloats);
    arena.begin();
    const pdy = arena.take(ys);
    const pk = arena.take(kernelFloats);
    const pq = arena.take(phaseFloats);
    const pdx = arena.take(xs);
    const scratch = arena.take(scratchFloats);
    arena.commit('conv2dBackwardInput');
    arena.write(pdy, dy, ys);
    for (const p of phases) {
      if (p.mh === 0 || p.mw === 0) {
        ex.scatterPhase(0, pdx, 1, g.n * g.c, p.hq, p.wq, g.h, g.w, s, p.ry, p.rx);
        continue;
      }
      // Sub-kernel [c, f, m', n'] = kernel[f, c, ky + S·(mh−1−m'), kx + S·(mw−1−n')]: the phase's taps, turned 180°.
      const taps = p.mh * p.mw;
      for (let f = 0; f < g.f; f++) {
        for (let c = 0; c < g.c; c++) {
          const from = (f * g.c + c) * g.kh * g.kw;
          const to = (c * g.f + f) * taps;
          for (let m = 0; m < p.mh; m++) {
            const row = from + (p.ky + s * (p.mh - 1 - m)) * g.kw + p.kx;
            for (let n = 0; n < p.mw; n++) subKernel[to + m * p.mw + n] = kernel[row + s * (p.mw - 1 - n)];
          }
        }
      }
      arena.write(pk, subKernel, g.c * g.f * taps);
      ex.setConvGeometry(g.n, g.f, g.oh, g.ow, g.c, p.mh, p.mw, 1, p.padTop, p.padLeft, p.hq, p.wq);
      ex.conv2dForward(pdy, pk, 0, 0, pq, scratch);
      ex.scatterPhase(pq, pdx, 0, g.n * g.c, p.hq, p.wq, g.h, g.w, s, p.ry, p.rx);
    }
    arena.read(pdx, dx, xs);
    return true;
  };

  /**
   * An optimizer's rule: the weights w, the gradient g and the rule's slots (all as long as w) are copied in, `run`
   * gets their addresses, and w and the slots, which the rule updates, are copied back out.
   */
  const update = (
    op: string,
    w: Float32Array,
    g: Float32Array,
    slots: [name: string, values: Float32Array][],
    run: (pw: number, pg: number, ps: number[]) => void,
  ): void => {
    const n = w.length;
    need(op, 'g', g, n, 'as many as w');
    for (const [name, values] of slots) need(op, name, values, n, 'as many as w');
    arena.begin();
    const pw = arena.take(n);
    const pg = arena.take(n);
    const ps = slots.map(() => arena.take(n));
    arena.commit(op);
    arena.write(pw, w, n);
    arena.write(pg, g, n);
    slots.forEach(([, values], i) => arena.write(ps[i], values, n));
    run(pw, pg, ps);
    arena.read(pw, w, n);
    slots.forEach(([, values], i) => arena.read(ps[i], values, n));
  };

  return {
    name: `wasm-${variant}`,
    variant,
    memoryBytes: () => arena.bytes,

    gemm(m, n, k, a, transA, b, transB, c, accumulate) {
      need('gemm', 'a', a, m * k, `op(a) is ${m}×${k}`);
      need('gemm', 'b', b, k * n, `op(b) is ${k}×${n}`);
      need('gemm', 'c', c, m * n, `c is ${m}×${n}`);
      arena.begin();
      const pa = arena.take(m * k);
      const pb = arena.take(k * n);
      const pc = arena.take(m * n);
      arena.commit('gemm');
      arena.write(pa, a, m * k);
      arena.write(pb, b, k * n);
      if (accumulate) arena.write(pc, c, m * n);
      ex.gemm(m, n, k, pa, +transA, pb, +transB, pc, +accumulate);
      arena.read(pc, c, m * n);
    },

    conv2dForward(g, x, kernel, bias, y, relu = false) {
      const { ckk, ohw } = conv('conv2dForward', g);
      const xs = g.n * g.c * g.h * g.w;
      const ys = g.n * g.f * ohw;
      need('conv2dForward', 'x', x, xs, 'n·c·h·w');
      need('conv2dForward', 'kernel', kernel, g.f * ckk, 'f·c·kh·kw');
      if (bias) need('conv2dForward', 'bias', bias, g.f, 'one per filter');
      need('conv2dForward', 'y', y, ys, 'n·f·oh·ow');
      arena.begin();
      const px = arena.take(xs);
      const pk = arena.take(g.f * ckk);
      const pbias = arena.take(bias ? g.f : 0);
      const py = arena.take(ys);
      const col = arena.take(ex.conv2dForwardScratch());
      arena.commit('conv2dForward');
      arena.write(px, x, xs);
      arena.write(pk, kernel, g.f * ckk);
      if (bias) arena.write(pbias, bias, g.f);
      ex.conv2dForward(px, pk, pbias, bias ? 1 : 0, py, col);
      // The ReLU after it runs in place while y is still in the module: one copy out instead of out, in and out.
      if (relu) ex.reluForward(py, py, ys);
      arena.read(py, y, ys);
    },

    conv2dBackwardInput(g, dy, kernel, dx) {
      const { ckk, ohw } = conv('conv2dBackwardInput', g);
      const xs = g.n * g.c * g.h * g.w;
      const ys = g.n * g.f * ohw;
      need('conv2dBackwardInput', 'dy', dy, ys, 'n·f·oh·ow');
      need('conv2dBackwardInput', 'kernel', kernel, g.f * ckk, 'f·c·kh·kw');
      need('conv2dBackwardInput', 'dx', dx, xs, 'n·c·h·w');
      if (backwardInputAsForward(g, dy, kernel, dx) || backwardInputByPhases(g, dy, kernel, dx)) return;
      ex.setConvGeometry(g.n, g.c, g.h, g.w, g.f, g.kh, g.kw, g.stride, g.padTop, g.padLeft, g.oh, g.ow);
      arena.begin();
      const pdy = arena.take(ys);
      const pk = arena.take(g.f * ckk);
      const pdx = arena.take(xs);
      const col = arena.take(ckk * ohw);
      arena.commit('conv2dBackwardInput');
      arena.write(pdy, dy, ys);
      arena.write(pk, kernel, g.f * ckk);
      ex.conv2dBackwardInput(pdy, pk, pdx, col);
      arena.read(pdx, dx, xs);
    },

    conv2dBackwardFilter(g, x, dy, dKernel, dBias, relu = null) {
      const { ckk, ohw } = conv('conv2dBackwardFilter', g);
      const xs = g.n * g.c * g.h * g.w;
      const ys = g.n * g.f * ohw;
      need('conv2dBackwardFilter', 'x', x, xs, 'n·c·h·w');
      need('conv2dBackwardFilter', 'dy', dy, ys, 'n·f·oh·ow');
      need('conv2dBackwardFilter', 'dKernel', dKernel, g.f * ckk, 'f·c·kh·kw');
      if (dBias) need('conv2dBackwardFilter', 'dBias', dBias, g.f, 'one per filter');
      if (relu) need('conv2dBackwardFilter', 'relu.output', relu.output, ys, 'n·f·oh·ow');
      if (relu?.gated) need('conv2dBackwardFilter', 'relu.gated', relu.gated, ys, 'n·f·oh·ow');
      arena.begin();
      const px = arena.take(xs);
      const pdy = arena.take(ys);
      const pdk = arena.take(g.f * ckk);
      const pdb = arena.take(dBias ? g.f : 0);
      const pr = arena.take(relu ? ys : 0);
      const col = arena.take(ex.conv2dBackwardFilterScratch());
      arena.commit('conv2dBackwardFilter');
      arena.write(px, x, xs);
      arena.write(pdy, dy, ys);
      if (relu) {
        // The ReLU's backward gates dy in place, inside the module: its dx never goes out and back in.
        arena.write(pr, relu.output, ys);
        ex.reluBackward(pr, pdy, pdy, ys);
        if (relu.gated) arena.read(pdy, relu.gated, ys);
      }
      arena.write(pdk, dKernel, g.f * ckk);
      if (dBias) arena.write(pdb, dBias, g.f);
      ex.conv2dBackwardFilter(px, pdy, pdk, pdb, dBias ? 1 : 0, col);
      arena.read(pdk, dKernel, g.f * ckk);
      if (dBias) arena.read(pdb, dBias, g.f);
    },

    maxPoolForward(g, x, y, argmax) {
      const { inputs, outputs } = pool('maxPoolForward', g);
      need('maxPoolForward', 'x', x, inputs, 'n·c·h·w');
      need('maxPoolForward', 'y', y, outputs, 'n·c·oh·ow');
      need('maxPoolForward', 'argmax', argmax, outputs, 'n·c·oh·ow');
      arena.begin();
      const px = arena.take(inputs);
      const py = arena.take(outputs);
      const pa = arena.take(outputs);
      arena.commit('maxPoolForward');
      arena.write(px, x, inputs);
      ex.maxPoolForward(px, py, pa);
      arena.read(py, y, outputs);
      arena.read(pa, argmax, outputs);
    },

    maxPoolBackward(g, dy, argmax, dx) {
      const { inputs, outputs } = pool('maxPoolBackward', g);
      need('maxPoolBackward', 'dy', dy, outputs, 'n·c·oh·ow');
      need('maxPoolBackward', 'argmax', argmax, outputs, 'n·c·oh·ow');
      need('maxPoolBackward', 'dx', dx, inputs, 'n·c·h·w');
      arena.begin();
      const pdy = arena.take(outputs);
      const pa = arena.take(outputs);
      const pdx = arena.take(inputs);
      arena.commit('maxPoolBackward');
      arena.write(pdy, dy, outputs);
      arena.write(pa, argmax, outputs);
      ex.maxPoolBackward(pdy, pa, pdx);
      arena.read(pdx, dx, inputs);
    },

    reluForward(x, y) {
      const n = x.length;
      need('reluForward', 'y', y, n, 'as many as x');
      arena.begin();
      const px = arena.take(n);
      const py = arena.take(n);
      arena.commit('reluForward');
      arena.write(px, x, n);
      ex.reluForward(px, py, n);
      arena.read(py, y, n);
    },

    reluBackward(y, dy, dx) {
      const n = dy.length;
      need('reluBackward', 'y', y, n, 'as many as dy');
      need('reluBackward', 'dx', dx, n, 'as many as dy');
      arena.begin();
      const py = arena.take(n);
      const pdy = arena.take(n);
      const pdx = arena.take(n);
      arena.commit('reluBackward');
      arena.write(py, y, n);
      arena.write(pdy, dy, n);
      ex.reluBackward(py, pdy, pdx, n);
      arena.read(pdx, dx, n);
    },

    avgPoolForward(g, x, y) {
      const { inputs, outputs } = pool('avgPoolForward', g);
      need('avgPoolForward', 'x', x, inputs, 'n·c·h·w');
      need('avgPoolForward', 'y', y, outputs, 'n·c·oh·ow');
      arena.begin();
      const px = arena.take(inputs);
      const py = arena.take(outputs);
      arena.commit('avgPoolForward');
      arena.write(px, x, inputs);
      ex.avgPoolForward(px, py);
      arena.read(py, y, outputs);
    },

    avgPoolBackward(g, dy, dx) {
      const { inputs, outputs } = pool('avgPoolBackward', g);
      need('avgPoolBackward', 'dy', dy, outputs, 'n·c·oh·ow');
      need('avgPoolBackward', 'dx', dx, inputs, 'n·c·h·w');
      arena.begin();
      const pdy = arena.take(outputs);
      const pdx = arena.take(inputs);
      arena.commit('avgPoolBackward');
      arena.write(pdy, dy, outputs);
      ex.avgPoolBackward(pdy, pdx);
      arena.read(pdx, dx, inputs);
    },

    batchNormForward(g, x, gamma, beta, training, mean, variance, invStd, y, relu = false) {
      const { n, c, spatial } = g;
      checkGeometry('batchNormForward', { n, c, spatial });
      const size = n * c * spatial;
      need('batchNormForward', 'x', x, size, 'n·c·spatial');
      need('batchNormForward', 'y', y, size, 'n·c·spatial');
      for (const [name, arr] of [
        ['gamma', gamma],
        ['beta', beta],
        ['mean', mean],
        ['variance', variance],
        ['invStd', invStd],
      ] as const) {
        need('batchNormForward', name, arr, c, 'one per channel');
      }
      arena.begin();
      const px = arena.take(size);
      const py = arena.take(size);
      const pg = arena.take(c);
      const pb = arena.take(c);
      const pm = arena.take(c);
      const pv = arena.take(c);
      const pi = arena.take(c);
      arena.commit('batchNormForward');
      arena.write(px, x, size);
      arena.write(pg, gamma, c);
      arena.write(pb, beta, c);
      if (!training) {
        arena.write(pm, mean, c);
        arena.write(pv, variance, c);
      }
      ex.batchNormForward(n, c, spatial, g.epsilon, px, pg, pb, +training, pm, pv, pi, py);
      // The ReLU runs in place on y while it is still in the module: one copy out instead of out, in and out.
      if (relu) ex.reluForward(py, py, size);
      arena.read(py, y, size);
      arena.read(pi, invStd, c);
      if (training) {
        arena.read(pm, mean, c);
        arena.read(pv, variance, c);
      }
    },

    batchNormBackward(g, x, dy, gamma, training, mean, invStd, dx, dGamma, dBeta, reluOutput = null) {
      const { n, c, spatial } = g;
      checkGeometry('batchNormBackward', { n, c, spatial });
      const size = n * c * spatial;
      need('batchNormBackward', 'x', x, size, 'n·c·spatial');
      need('batchNormBackward', 'dy', dy, size, 'n·c·spatial');
      need('batchNormBackward', 'dx', dx, size, 'n·c·spatial');
      if (reluOutput) need('batchNormBackward', 'reluOutput', reluOutput, size, 'n·c·spatial');
      for (const [name, arr] of [
        ['gamma', gamma],
        ['mean', mean],
        ['invStd', invStd],
        ['dGamma', dGamma],
        ['dBeta', dBeta],
      ] as const) {
        need('batchNormBackward', name, arr, c, 'one per channel');
      }
      arena.begin();
      const px = arena.take(size);
      const pdy = arena.take(size);
      const pdx = arena.take(size);
      const pg = arena.take(c);
      const pm = arena.take(c);
      const pi = arena.take(c);
      const pdg = arena.take(c);
      const pdb = arena.take(c);
      const pr = reluOutput ? arena.take(size) : 0;
      arena.commit('batchNormBackward');
      arena.write(px, x, size);
      arena.write(pdy, dy, size);
      arena.write(pg, gamma, c);
      arena.write(pm, mean, c);
      arena.write(pi, invStd, c);
      arena.write(pdg, dGamma, c);
      arena.write(pdb, dBeta, c);
      if (reluOutput) {
        // The ReLU's backward gates dy in place, inside the module: its dx never goes out and back in.
        arena.write(pr, reluOutput, size);
        ex.reluBackward(pr, pdy, pdy, size);
      }
      ex.batchNormBackward(n, c, spatial, px, pdy, pg, +training, pm, pi, pdx, pdg, pdb);
      arena.read(pdx, dx, size);
      arena.read(pdg, dGamma, c);
      arena.read(pdb, dBeta, c);
    },

    sumParts(parts, out) {
      const n = out.length;
      if (parts.length === 0) throw new Error('wasm sumParts: no parts to add');
      parts.forEach((part, p) => need('sumParts', `parts[${p}]`, part, n, 'as many as out'));
      arena.begin();
      const po = arena.take(n);
      const pp = arena.take(parts.length > 1 ? n : 0);
      arena.commit('sumParts');
      arena.write(po, parts[0], n);
      for (let p = 1; p < parts.length; p++) {
        arena.write(pp, parts[p], n);
        ex.addInto(po, pp, n);
      }
      arena.read(po, out, n);
      return ex.allFinite(po, n) !== 0;
    },

    allFinite(a) {
      arena.begin();
      const pa = arena.take(a.length);
      arena.commit('allFinite');
      arena.write(pa, a, a.length);
      return ex.allFinite(pa, a.length) !== 0;
    },

    sgdUpdate(w, g, lr) {
      update('sgdUpdate', w, g, [], (pw, pg) => ex.sgdUpdate(pw, pg, w.length, lr));
    },

    momentumUpdate(w, g, v, lr, mu) {
      update('momentumUpdate', w, g, [['v', v]], (pw, pg, [pv]) => ex.momentumUpdate(pw, pg, pv, w.length, lr, mu));
    },

    adamUpdate(w, g, m, v, lr, s) {
      update(
        'adamUpdate',
        w,
        g,
        [
          ['m', m],
          ['v', v],
        ],
        (pw, pg, [pm, pv]) => ex.adamUpdate(pw, pg, pm, pv, w.length, lr, s.beta1, s.beta2, s.epsilon, s.c1, s.c2),
      );
    },
  };
}
