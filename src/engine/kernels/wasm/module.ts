import { relaxedSimdWasmBase64, simdWasmBase64 } from './generated/kernels-wasm';

/** The two builds of assembly/: plain 128-bit SIMD, and relaxed SIMD whose multiply-add is fused (one rounding). */
export type WasmVariant = 'simd' | 'relaxed-simd';

/**
 * What assembly/index.ts exports. Every array argument is a byte address in `memory`; flags are 0 or 1.
 * Geometry is set once per call (setConvGeometry / setPoolGeometry) instead of being repeated in every signature.
 */
export interface KernelExports {
  readonly memory: WebAssembly.Memory;
  scratchBase(): number;
  gemm(
    m: number,
    n: number,
    k: number,
    a: number,
    transA: number,
    b: number,
    transB: number,
    c: number,
    accumulate: number,
  ): void;
  setConvGeometry(
    n: number,
    c: number,
    h: number,
    w: number,
    f: number,
    kh: number,
    kw: number,
    stride: number,
    padTop: number,
    padLeft: number,
    oh: number,
    ow: number,
  ): void;
  /** Floats of scratch conv2dForward needs for the geometry just set (its path's column or padded-image buffer). */
  conv2dForwardScratch(): number;
  /**
   * The path conv2dForward takes for the geometry just set: 0 im2col + GEMM, 1 direct PIXELS, 2 direct FILTERS,
   * 3 Winograd F(2×2, 3×3).
   */
  conv2dForwardPath(): number;
  conv2dForward(x: number, kernel: number, bias: number, hasBias: number, y: number, col: number): void;
  conv2dBackwardInput(dy: number, kernel: number, dx: number, col: number): void;
  /** dst[p, i·s + ry, j·s + rx] = src[p, i, j] (or 0 when zero): one phase of a strided input gradient. */
  scatterPhase(
    src: number,
    dst: number,
    zero: number,
    planes: number,
    hq: number,
    wq: number,
    h: number,
    w: number,
    s: number,
    ry: number,
    rx: number,
  ): void;
  /** The path conv2dBackwardFilter takes for the geometry just set: 0 im2col + GEMM, 1 direct. */
  conv2dBackwardFilterPath(): number;
  /** Floats of scratch conv2dBackwardFilter needs for the geometry just set (the direct path's, else im2col's). */
  conv2dBackwardFilterScratch(): number;
  conv2dBackwardFilter(x: number, dy: number, dKernel: number, dBias: number, hasBias: number, col: number): void;
  setPoolGeometry(
    n: number,
    c: number,
    h: number,
    w: number,
    size: number,
    stride: number,
    pad: number,
    oh: number,
    ow: number,
  ): void;
  maxPoolForward(x: number, y: number, argmax: number): void;
  maxPoolBackward(dy: number, argmax: number, dx: number): void;
  avgPoolForward(x: number, y: number): void;
  reluForward(x: number, y: number, n: number): void;
  reluBackward(y: number, dy: number, dx: number, n: number): void;
  avgPoolBackward(dy: number, dx: number): void;
  batchNormForward(
    n: number,
    c: number,
    spatial: number,
    epsilon: number,
    x: number,
    gamma: number,
    beta: number,
    training: number,
    mean: number,
    variance: number,
    invStd: number,
    y: number,
  ): void;
  batchNormBackward(
    n: number,
    c: number,
    spatial: number,
    x: number,
    dy: number,
    gamma: number,
    training: number,
    mean: number,
    invStd: number,
    dx: number,
    dGamma: number,
    dBeta: number,
  ): void;
  /** dst[i] += src[i] for i < len. */
  addInto(dst: number, src: number, len: number): void;
  /** 1 when none of the n floats at a is NaN or ±∞, else 0. */
  allFinite(a: number, n: number): number;
  sgdUpdate(w: number, g: number, n: number, lr: number): void;
  momentumUpdate(w: number, g: number, v: number, n: number, lr: number, mu: number): void;
  adamUpdate(
    w: number,
    g: number,
    m: number,
    v: number,
    n: number,
    lr: number,
    beta1: number,
    beta2: number,
    epsilon: number,
    c1: number,
    c2: number,
  ): void;
}

const WASM_HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/** (func (param v128) (result v128) local.get 0 local.get 0 f32x4.add): valid wherever 128-bit SIMD is. */
const SIMD_PROBE = new Uint8Array([
  ...WASM_HEADER,
  ...[0x01, 0x06, 0x01, 0x60, 0x01, 0x7b, 0x01, 0x7b], // type section: (v128) -> v128
  ...[0x03, 0x02, 0x01, 0x00], // function section: one function of type 0
  ...[0x0a, 0x0b, 0x01, 0x09, 0x00, 0x20, 0x00, 0x20, 0x00, 0xfd, 0xe4, 0x01, 0x0b], // code: f32x4.add = 0xfd 0xe4
]);

/** (func (param v128 v128 v128) (result v128) ... f32x4.relaxed_madd): valid only where relaxed SIMD is enabled. */
const RELAXED_SIMD_PROBE = new Uint8Array([
  ...WASM_HEADER,
  ...[0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b], // type section: (v128, v128, v128) -> v128
  ...[0x03, 0x02, 0x01, 0x00],
  // code: three local.get, then f32x4.relaxed_madd = 0xfd 0x105 (LEB128 0x85 0x02)
  ...[0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0x85, 0x02, 0x0b],
]);

/** Whether this runtime's WebAssembly has 128-bit SIMD (every current browser, Node 16.4+). */
export function supportsSimd(): boolean {
  return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
}

/** Whether it also has relaxed SIMD (Chrome 114+ and so Electron, Node 22+; Node 20 only with a flag). */
export function supportsRelaxedSimd(): boolean {
  return supportsSimd() && WebAssembly.validate(RELAXED_SIMD_PROBE);
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Standard base64 to bytes, by hand: `atob` and `Buffer` are not both everywhere the engine runs. */
export function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const value = new Int8Array(128).fill(-1);
  for (let i = 0; i < BASE64.length; i++) value[BASE64.charCodeAt(i)] = i;
  const body = text.replace(/=+$/, '');
  const out = new Uint8Array(Math.floor((body.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let o = 0;
  for (let i = 0; i < body.length; i++) {
    const code = body.charCodeAt(i);
    const v = code < 128 ? value[code] : -1;
    if (v < 0) throw new Error(`wasm kernels: invalid base64 character '${body[i]}' at ${i} of the generated module`);
    acc = ((acc << 6) | v) & 0xffffff; // never more than 24 bits pending
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

/** Compiled once per variant per JavaScript realm (main thread, each worker); instances are per backend. */
const compiled = new Map<WasmVariant, Promise<WebAssembly.Module>>();

function compile(variant: WasmVariant): Promise<WebAssembly.Module> {
  let module = compiled.get(variant);
  if (!module) {
    const bytes = decodeBase64(variant === 'simd' ? simdWasmBase64 : relaxedSimdWasmBase64);
    module = WebAssembly.compile(bytes);
    compiled.set(variant, module);
    module.catch(() => compiled.delete(variant)); // a failed compile is retried next time, not cached
  }
  return module;
}

/** A fresh instance, with its own memory, of the given build. The module imports nothing. */
export async function instantiateKernels(variant: WasmVariant): Promise<KernelExports> {
  const instance = await WebAssembly.instantiate(await compile(variant), {});
  return instance.exports as unknown as KernelExports;
}
