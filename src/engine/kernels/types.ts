import type { AdamStep } from './update';

/**
 * The hot loops, behind one interface so that a faster backend (WebAssembly SIMD) can replace the
 * plain TypeScript reference without any layer changing. All arrays are dense, row-major.
 */
export interface ConvGeometry {
  /** batch, input channels, input height, input width */
  n: number;
  c: number;
  h: number;
  w: number;
  /** filters (output channels), kernel height and width */
  f: number;
  kh: number;
  kw: number;
  stride: number;
  /** zero rows added above and columns added to the left; bottom/right padding follows from oh/ow */
  padTop: number;
  padLeft: number;
  oh: number;
  ow: number;
}

export interface PoolGeometry {
  n: number;
  c: number;
  h: number;
  w: number;
  size: number;
  stride: number;
  pad: number;
  oh: number;
  ow: number;
}

/** A batch-norm call: x is [n, c, spatial] (an image's h·w, or 1 for a vector input), normalised per channel. */
export interface NormGeometry {
  n: number;
  c: number;
  spatial: number;
  epsilon: number;
}

/** A convolution's backward through the ReLU after it: that ReLU's output, and where the gated dy goes (or null). */
export interface ReluGate {
  output: Float32Array;
  gated: Float32Array | null;
}

/**
 * Every output array (y, dx, argmax, and C when not accumulating) is written whole: its contents on entry are
 * never read, so layers hand kernels recycled buffers without zero-filling them (allocateOverwritten). Only
 * the arrays documented as `+=` (dKernel, dBias, dGamma, dBeta, C when accumulating) are added into.
 */
export interface Kernels {
  readonly name: string;
  /**
   * C[m×n] = (accumulate ? C : 0) + op(A) · op(B), where op(A) is m×k and op(B) is k×n.
   * A is stored m×k (or k×m when transA), B is stored k×n (or n×k when transB).
   */
  gemm(
    m: number,
    n: number,
    k: number,
    a: Float32Array,
    transA: boolean,
    b: Float32Array,
    transB: boolean,
    c: Float32Array,
    accumulate: boolean,
  ): void;
  /**
   * y[n,f,oh,ow] = sum over c,kh,kw of x · kernel, plus bias when given. Kernel is [f,c,kh,kw]. With `relu`,
   * y = max(that, 0) as reluForward computes it: a convolution followed by a ReLU (engine/fusion.ts).
   */
  conv2dForward(
    g: ConvGeometry,
    x: Float32Array,
    kernel: Float32Array,
    bias: Float32Array | null,
    y: Float32Array,
    relu?: boolean,
  ): void;
  /** dx[n,c,h,w] = gradient of the loss with respect to the input (overwritten). */
  conv2dBackwardInput(g: ConvGeometry, dy: Float32Array, kernel: Float32Array, dx: Float32Array): void;
  /**
   * dKernel += gradient with respect to the kernel; dBias += sum of dy over batch and space. With `relu`, dy is
   * the gradient of a ReLU after the convolution and relu.output that ReLU's output: dy is first gated by it as
   * reluBackward does, and the gated dy is written into relu.gated when given (for conv2dBackwardInput).
   */
  conv2dBackwardFilter(
    g: ConvGeometry,
    x: Float32Array,
    dy: Float32Array,
    dKernel: Float32Array,
    dBias: Float32Array | null,
    relu?: ReluGate | null,
  ): void;
  /** y = max over each window; argmax[i] = flat input index of the winner (-1 when the window is all padding). */
  maxPoolForward(g: PoolGeometry, x: Float32Array, y: Float32Array, argmax: Int32Array): void;
  maxPoolBackward(g: PoolGeometry, dy: Float32Array, argmax: Int32Array, dx: Float32Array): void;
  /** y = max(x, 0), element by element over x (y as long); −0 gives +0 and NaN stays NaN (−∞: NaN in the
   * reference, whose branch-free (z + |z|)/2 computes ∞ − ∞; 0 on WebAssembly). */
  reluForward(x: Float32Array, y: Float32Array): void;
  /** dx = dy · (y > 0 ? 1 : 0) over dy (y and dx as long); a product, so dy · 0 gives −0 or NaN as f′ does. */
  reluBackward(y: Float32Array, dy: Float32Array, dx: Float32Array): void;
  /** Average over the window's in-bounds cells (padding is not counted, as ONNX's default). */
  avgPoolForward(g: PoolGeometry, x: Float32Array, y: Float32Array): void;
  avgPoolBackward(g: PoolGeometry, dy: Float32Array, dx: Float32Array): void;
  /**
   * y = γ·(x − μ)·invStd + β per channel. Training: μ and the biased variance σ² are the batch's, written into
   * `mean` and `variance`. Inference: `mean` and `variance` are read (the running statistics). Either way
   * invStd[c] = 1/√(σ²[c] + ε) is written, for backward. With `relu`, y = max(that, 0): a batch norm followed by a
   * ReLU in one call, bit for bit what reluForward would give from the plain y.
   */
  batchNormForward(
    g: NormGeometry,
    x: Float32Array,
    gamma: Float32Array,
    beta: Float32Array,
    training: boolean,
    mean: Float32Array,
    variance: Float32Array,
    invStd: Float32Array,
    y: Float32Array,
    relu?: boolean,
  ): void;
  /**
   * With x̂ = (x − μ)·invStd: dGamma += Σ dy·x̂, dBeta += Σ dy, and dx (overwritten) = γ·invStd·dy, less, in
   * training (where μ and σ² depend on x), γ·invStd·(mean(dy) + x̂·mean(dy·x̂)) per channel. With `reluOutput`, dy
   * is the gradient of the ReLU that followed (its output given): dy is first gated by it as reluBackward does.
   */
  batchNormBackward(
    g: NormGeometry,
    x: Float32Array,
    dy: Float32Array,
    gamma: Float32Array,
    training: boolean,
    mean: Float32Array,
    invStd: Float32Array,
    dx: Float32Array,
    dGamma: Float32Array,
    dBeta: Float32Array,
    reluOutput?: Float32Array | null,
  ): void;

  /**
   * out = parts[0] + parts[1] + …, element by element in that order (so a sum never depends on which worker
   * finished first); each part holds at least out.length values; out is overwritten. Returns whether every sum
   * is finite.
   */
  sumParts(parts: readonly Float32Array[], out: Float32Array): boolean;
  /** Whether `a` holds no NaN and no ±∞. */
  allFinite(a: Float32Array): boolean;
  /**
   * The optimizers' rules (update.ts), in place on the weights w and the slots, from the gradient g (all as long
   * as w). Computed in float64 and rounded to float32 once per stored value, on every backend alike.
   */
  sgdUpdate(w: Float32Array, g: Float32Array, lr: number): void;
  momentumUpdate(w: Float32Array, g: Float32Array, v: Float32Array, lr: number, mu: number): void;
  adamUpdate(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, lr: number, s: AdamStep): void;
}
