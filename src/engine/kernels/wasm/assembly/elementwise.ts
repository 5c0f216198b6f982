/* eslint-disable @typescript-eslint/ban-ts-comment */
// @ts-nocheck
// AssemblyScript (see ../README.md): asc type-checks it against ./tsconfig.json; the app's type-check skips it.

/**
 * Element-wise layers at memory speed: 16 floats a step in four vectors, then the last 0 to 15 one at a time. Each
 * computes exactly what the reference loops (../../relu.ts) do, signed zeros and NaNs included (but see −∞ below).
 */

/**
 * y = max(x, 0) over n floats. f32x4.max, not pmax: it keeps a NaN (so a diverging run still shows in the loss) and
 * takes +0 over −0, as (z + |z|)/2 does. One difference: −∞ gives 0 here, NaN (−∞ + ∞) in the reference.
 */
export function reluForward(x: usize, y: usize, n: i32): void {
  const zero = f32x4.splat(0);
  const end = (<usize>(n & ~15)) << 2;
  for (let o: usize = 0; o < end; o += 64) {
    v128.store(y + o, f32x4.max(v128.load(x + o), zero));
    v128.store(y + o, f32x4.max(v128.load(x + o, 16), zero), 16);
    v128.store(y + o, f32x4.max(v128.load(x + o, 32), zero), 32);
    v128.store(y + o, f32x4.max(v128.load(x + o, 48), zero), 48);
  }
  for (let i = n & ~15; i < n; i++) {
    const o = (<usize>i) << 2;
    store<f32>(y + o, max<f32>(load<f32>(x + o), 0));
  }
}

/**
 * dy · slope on four lanes (Binaryen inlines it), the slope 1 or 0 from y's bits read as ints as the reference does:
 * 1 when −bits is negative, i.e. y > 0, and also for a positive NaN (y's bits then make the same test pass). A
 * product, so dy · 0 gives −0 or NaN as the reference's does.
 */
function gate(y: v128, dy: v128, one: v128): v128 {
  return f32x4.mul(dy, v128.and(i32x4.shr_s(i32x4.neg(y), 31), one));
}

/** dx = dy · (y > 0 ? 1 : 0) over n floats. */
export function reluBackward(y: usize, dy: usize, dx: usize, n: i32): void {
  const one = f32x4.splat(1);
  const end = (<usize>(n & ~15)) << 2;
  for (let o: usize = 0; o < end; o += 64) {
    v128.store(dx + o, gate(v128.load(y + o), v128.load(dy + o), one));
    v128.store(dx + o, gate(v128.load(y + o, 16), v128.load(dy + o, 16), one), 16);
    v128.store(dx + o, gate(v128.load(y + o, 32), v128.load(dy + o, 32), one), 32);
    v128.store(dx + o, gate(v128.load(y + o, 48), v128.load(dy + o, 48), one), 48);
  }
  for (let i = n & ~15; i < n; i++) {
    const o = (<usize>i) << 2;
    store<f32>(dx + o, load<f32>(dy + o) * <f32>((-load<i32>(y + o) >> 31) & 1));
  }
}
