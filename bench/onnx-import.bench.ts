/**
 * ONNX import time against graph size (a benchmark, not a test): chains of Relu nodes that all share one name, the
 * case that once took 122 s for 40,000 nodes (each node searched for a free '_k' suffix from 2 up, so the import was
 * quadratic). Chains up to 9,999 nodes import (a Convas graph holds 10,000); longer ones are refused, and a
 * 100,000-node file must be refused in under 10 s. Prints the time per node, which stays about flat if linear.
 *
 *   npx tsx bench/onnx-import.bench.ts
 */
import { importOnnx } from '../src/engine/formats';
import { reluChain } from '../tests/helpers/onnx-chain';

const TARGET_SECONDS = 10;
let last = 0;
for (const n of [2_500, 5_000, 9_999, 100_000]) {
  const bytes = reluChain(n);
  const start = performance.now();
  let outcome: string;
  try {
    outcome = `imported, ${importOnnx(bytes).graph.nodes.length.toLocaleString('en')} graph nodes`;
  } catch (e) {
    outcome = `refused: ${(e as Error).message}`;
  }
  const seconds = (performance.now() - start) / 1000;
  console.log(
    `${n.toLocaleString('en')} nodes sharing one name: ${seconds.toFixed(2)} s (${((seconds / n) * 1e6).toFixed(1)} µs per node), ${outcome}`,
  );
  last = seconds;
}
console.log(last < TARGET_SECONDS ? `target met: under ${TARGET_SECONDS} s` : `TARGET MISSED: ${TARGET_SECONDS} s`);
