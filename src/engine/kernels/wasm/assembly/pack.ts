/* eslint-disable @typescript-eslint/ban-ts-comment */
// @ts-nocheck
// AssemblyScript (see ../README.md): asc type-checks it against ./tsconfig.json; the app's type-check skips it.
import { MR, NR, PACK_A, PACK_B } from './layout';

/**
 * Packing copies a block of op(A) or op(B) into the order the micro-kernel reads it, so that its inner loop walks
 * memory strictly forwards whatever the caller's layout or transpose. Rows or columns past the edge of the matrix are
 * packed as zeros: the micro-kernel always computes a full MR×NR tile and the edge is trimmed when C is written.
 * The 4×4 transposes below assume MR = 4 and NR = 8.
 */

/** Rows of a 4×4 block in, columns out: o[q] lane r = row r lane q. */
export function transposeStore(dst: usize, stride: usize, r0: v128, r1: v128, r2: v128, r3: v128): void {
  const t0 = f32x4.shuffle(r0, r1, 0, 4, 1, 5); // r0[0] r1[0] r0[1] r1[1]
  const t1 = f32x4.shuffle(r0, r1, 2, 6, 3, 7); // r0[2] r1[2] r0[3] r1[3]
  const t2 = f32x4.shuffle(r2, r3, 0, 4, 1, 5);
  const t3 = f32x4.shuffle(r2, r3, 2, 6, 3, 7);
  v128.store(dst, f32x4.shuffle(t0, t2, 0, 1, 4, 5));
  v128.store(dst + stride, f32x4.shuffle(t0, t2, 2, 3, 6, 7));
  v128.store(dst + 2 * stride, f32x4.shuffle(t1, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * stride, f32x4.shuffle(t1, t3, 2, 3, 6, 7));
}

/**
 * Packs rows [ic, ic+mc) × columns [pc, pc+kc) of op(A) into PACK_A: one sliver per MR rows, and within a sliver
 * the MR values of column p at floats [p·MR, p·MR + MR). op(A)(i, p) is a[i·lda + p], or a[p·lda + i] when transA.
 */
export function packA(mc: i32, kc: i32, a: usize, lda: i32, transA: bool, ic: i32, pc: i32): void {
  const ldaBytes = (<usize>lda) << 2;
  let dst = PACK_A;
  for (let ir = 0; ir < mc; ir += MR) {
    const rows = min(MR, mc - ir);
    const i0 = <usize>(ic + ir);
    if (transA) {
      // Stored k×m: the MR values of one column p sit side by side.
      let src = a + ((<usize>pc * <usize>lda + i0) << 2);
      if (rows == MR) {
        for (let p = 0; p < kc; p++, dst += 16, src += ldaBytes) v128.store(dst, v128.load(src));
      } else {
        for (let p = 0; p < kc; p++, dst += 16, src += ldaBytes) {
          for (let r = 0; r < MR; r++)
            store<f32>(dst + ((<usize>r) << 2), r < rows ? load<f32>(src + ((<usize>r) << 2)) : 0);
        }
      }
      continue;
    }
    // Stored m×k: each of the MR rows is contiguous along p, so read 4 columns of 4 rows and transpose.
    const row0 = a + ((i0 * <usize>lda + <usize>pc) << 2);
    if (rows == MR) {
      let p = 0;
      for (; p + 4 <= kc; p += 4, dst += 64) {
        const o = (<usize>p) << 2;
        const r0 = v128.load(row0 + o);
        const r1 = v128.load(row0 + ldaBytes + o);
        const r2 = v128.load(row0 + 2 * ldaBytes + o);
        const r3 = v128.load(row0 + 3 * ldaBytes + o);
        transposeStore(dst, 16, r0, r1, r2, r3);
      }
      for (; p < kc; p++, dst += 16) {
        const o = (<usize>p) << 2;
        for (let r = 0; r < MR; r++) store<f32>(dst + ((<usize>r) << 2), load<f32>(row0 + <usize>r * ldaBytes + o));
      }
    } else {
      for (let p = 0; p < kc; p++, dst += 16) {
        const o = (<usize>p) << 2;
        for (let r = 0; r < MR; r++) {
          store<f32>(dst + ((<usize>r) << 2), r < rows ? load<f32>(row0 + <usize>r * ldaBytes + o) : 0);
        }
      }
    }
  }
}

/**
 * Packs rows [pc, pc+kc) × columns [jc, jc+nc) of op(B) into PACK_B: one sliver per NR columns, and within a sliver
 * the NR values of row p at floats [p·NR, p·NR + NR). op(B)(p, j) is b[p·ldb + j], or b[j·ldb + p] when transB.
 */
export function packB(kc: i32, nc: i32, b: usize, ldb: i32, transB: bool, pc: i32, jc: i32): void {
  const ldbBytes = (<usize>ldb) << 2;
  let dst = PACK_B;
  for (let jr = 0; jr < nc; jr += NR) {
    const cols = min(NR, nc - jr);
    const j0 = <usize>(jc + jr);
    if (!transB) {
      // Stored k×n: the NR values of one row p sit side by side.
      let src = b + ((<usize>pc * <usize>ldb + j0) << 2);
      if (cols == NR) {
        for (let p = 0; p < kc; p++, dst += 32, src += ldbBytes) {
          v128.store(dst, v128.load(src));
          v128.store(dst, v128.load(src, 16), 16);
        }
      } else {
        for (let p = 0; p < kc; p++, dst += 32, src += ldbBytes) {
          for (let c = 0; c < NR; c++)
            store<f32>(dst + ((<usize>c) << 2), c < cols ? load<f32>(src + ((<usize>c) << 2)) : 0);
        }
      }
      continue;
    }
    // Stored n×k: column j of op(B) is row j of b, contiguous along p; transpose 4×4 blocks of it.
    const col0 = b + ((j0 * <usize>ldb + <usize>pc) << 2);
    if (cols == NR) {
      let p = 0;
      for (; p + 4 <= kc; p += 4, dst += 128) {
        const o = (<usize>p) << 2;
        transposeStore(
          dst,
          32,
          v128.load(col0 + o),
          v128.load(col0 + ldbBytes + o),
          v128.load(col0 + 2 * ldbBytes + o),
          v128.load(col0 + 3 * ldbBytes + o),
        );
        transposeStore(
          dst + 16,
          32,
          v128.load(col0 + 4 * ldbBytes + o),
          v128.load(col0 + 5 * ldbBytes + o),
          v128.load(col0 + 6 * ldbBytes + o),
          v128.load(col0 + 7 * ldbBytes + o),
        );
      }
      for (; p < kc; p++, dst += 32) {
        const o = (<usize>p) << 2;
        for (let c = 0; c < NR; c++) store<f32>(dst + ((<usize>c) << 2), load<f32>(col0 + <usize>c * ldbBytes + o));
      }
    } else {
      for (let p = 0; p < kc; p++, dst += 32) {
        const o = (<usize>p) << 2;
        for (let c = 0; c < NR; c++) {
          store<f32>(dst + ((<usize>c) << 2), c < cols ? load<f32>(col0 + <usize>c * ldbBytes + o) : 0);
        }
      }
    }
  }
}
