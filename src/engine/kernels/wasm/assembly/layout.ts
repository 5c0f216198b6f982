/* eslint-disable @typescript-eslint/ban-ts-comment */
// @ts-nocheck
// AssemblyScript (see ../README.md): asc type-checks it against ./tsconfig.json; the app's type-check skips it.

/**
 * The GEMM's blocking and the fixed workspace it packs into. Everything is addressed in bytes (usize).
 *
 * Register tile: the micro-kernel holds an MR×NR block of C in MR·NR/4 = 8 f32x4 accumulators, plus two vectors
 * of B and one broadcast of A: 11 of the 15 xmm registers V8 hands out on x64, so nothing spills.
 */
export const MR = 4;
export const NR = 8;

/**
 * Cache blocks (BLIS order). A KC×NR sliver of packed B (8 KB) stays in L1 while the micro-kernel walks every MR-row
 * sliver of the packed MC×KC block of A (120 KB, in L2); the KC×NC panel of packed B (2 MB) lives in L3.
 * MC is a multiple of MR and NC a multiple of NR so that only the last block of a matrix has a ragged edge.
 */
export const KC = 256;
export const MC = 120;
export const NC = 2048;

/** Where the module's own data ends; the workspace starts at the next cache line. */
const HEAP: usize = (__heap_base + 63) & ~(<usize>63);

/** Packed block of A: MC×KC floats, as MC/MR slivers of KC columns × MR rows. */
export const PACK_A: usize = HEAP;
/** Packed panel of B: KC×NC floats, as NC/NR slivers of KC rows × NR columns. */
export const PACK_B: usize = PACK_A + <usize>(MC * KC * 4);
/** One MR×NR tile, where the micro-kernel parks its sums when the tile overhangs the edge of C. */
export const EDGE_TILE: usize = PACK_B + <usize>(KC * NC * 4);
/** First byte the JavaScript side may use for its arguments and scratch (im2col columns). */
export const SCRATCH_BASE: usize = (EDGE_TILE + <usize>(MR * NR * 4) + 63) & ~(<usize>63);
