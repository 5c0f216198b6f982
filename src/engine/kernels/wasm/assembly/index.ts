/* eslint-disable @typescript-eslint/ban-ts-comment */
// @ts-nocheck
// AssemblyScript (see ../README.md): asc type-checks it against ./tsconfig.json; the app's type-check skips it.
import { SCRATCH_BASE } from './layout';

/**
 * The module's exports, called by ../index.ts. Every array argument is a byte address in the exported memory, which
 * the JavaScript side grows and lays out from scratchBase() upwards; below it sit the module's data and the GEMM's
 * packing workspace.
 */
export function scratchBase(): usize {
  return SCRATCH_BASE;
}

export { gemm } from './gemm';
export {
  conv2dBackwardFilter,
  conv2dBackwardFilterPath,
  conv2dBackwardFilterScratch,
  conv2dBackwardInput,
  conv2dForward,
  conv2dForwardPath,
  conv2dForwardScratch,
  scatterPhase,
} from './conv';
export { setConvGeometry } from './conv-geometry';
export { avgPoolBackward, avgPoolForward, maxPoolBackward, maxPoolForward, setPoolGeometry } from './pool';
export { batchNormBackward, batchNormForward } from './batchnorm';
export { reluBackward, reluForward } from './elementwise';
export { addInto } from './simd';
export { adamUpdate, allFinite, momentumUpdate, sgdUpdate } from './update';
