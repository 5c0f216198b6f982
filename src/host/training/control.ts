/**
 * The words of the control block (an Int32Array over a SharedArrayBuffer) through which the workers of a
 * pool meet at barriers inside a step, without any message round trip. (Pausing and stopping happen between
 * steps, in the one training loop: TrainingSession.)
 */
export const CONTROL = {
  /** How many workers have reached the current barrier. */
  arrived: 0,
  /** Bumped by the last worker to arrive; the others wait for it to change. */
  generation: 1,
  /** 0, or 1 + the rank of a worker that failed: everyone waiting gives up. */
  failed: 2,
  /** 0, or why the current step must not count (a Divergence): set by any rank, read by all after a barrier. */
  diverged: 3,
  /** Words in the block. */
  size: 8,
} as const;

/** Why a step was refused: its summed gradient, or the weights it produced, were not finite. */
export const DIVERGENCE = { none: 0, gradient: 1, weights: 2 } as const;

/** Thrown in a worker whose peer failed while it waited at a barrier; the peer's own error is the one to report. */
export class PeerFailure extends Error {
  override name = 'PeerFailure';
}

export function newControlBlock(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(CONTROL.size * Int32Array.BYTES_PER_ELEMENT));
}

/** Ready for a new step: nobody at a barrier, nobody failed, no verdict. Only while all workers are idle. */
export function resetControl(ctl: Int32Array): void {
  Atomics.store(ctl, CONTROL.arrived, 0);
  Atomics.store(ctl, CONTROL.failed, 0);
  Atomics.store(ctl, CONTROL.diverged, DIVERGENCE.none);
}

/** Marks the pool failed and wakes every waiting worker so that none of them waits forever for `rank`. */
export function signalFailure(ctl: Int32Array, rank: number): void {
  Atomics.compareExchange(ctl, CONTROL.failed, 0, rank + 1);
  Atomics.notify(ctl, CONTROL.generation);
}

function checkFailed(ctl: Int32Array): void {
  const failed = Atomics.load(ctl, CONTROL.failed);
  if (failed !== 0) throw new PeerFailure(`worker ${failed - 1} failed; this worker stopped waiting for it`);
}

/**
 * How long a worker spins before it sleeps at a barrier, in Atomics.load calls: at most about 0.3 ms.
 * Spinning notices a partner's arrival at once; sleeping in Atomics.wait costs a futex wake-up and lets the
 * core cool (caches, clock), which together cost LeNet-5 a third of its speed on two workers (5,000 against
 * 8,800 images/s with a 30 µs spin). Shards are equal, so partners arrive within a fraction of a millisecond
 * of each other, unless the system has more runnable threads than cores: then spinning only takes a core
 * from someone who needs it. So the budget adapts: halved after every wait the spin did not cover, doubled
 * (up to the maximum) after every wait it did.
 */
const SPIN_MAX = 40_000;
const SPIN_MIN = 500;
let spin = SPIN_MAX;

/**
 * Waits until `parties` workers have called it. A generation counter makes the barrier reusable without a
 * second phase.
 */
export function barrier(ctl: Int32Array, parties: number): void {
  const generation = Atomics.load(ctl, CONTROL.generation);
  checkFailed(ctl);
  if (Atomics.add(ctl, CONTROL.arrived, 1) === parties - 1) {
    Atomics.store(ctl, CONTROL.arrived, 0);
    Atomics.add(ctl, CONTROL.generation, 1);
    Atomics.notify(ctl, CONTROL.generation);
    return;
  }
  for (let i = 0; i < spin; i++) {
    if (Atomics.load(ctl, CONTROL.generation) !== generation) {
      spin = Math.min(SPIN_MAX, spin * 2);
      return;
    }
  }
  spin = Math.max(SPIN_MIN, spin >> 1);
  while (Atomics.load(ctl, CONTROL.generation) === generation) {
    checkFailed(ctl);
    // The timeout only bounds how late a failure is noticed if a notify were ever missed.
    Atomics.wait(ctl, CONTROL.generation, generation, 200);
  }
  checkFailed(ctl);
}

/**
 * The part [lo, hi) of `total` items that `rank` of `parties` takes, as equal as possible
 * (the first `total % parties` ranks take one more).
 */
export function shareOf(total: number, parties: number, rank: number): [number, number] {
  const base = Math.floor(total / parties);
  const extra = total % parties;
  const lo = rank * base + Math.min(rank, extra);
  return [lo, lo + base + (rank < extra ? 1 : 0)];
}

/**
 * The range of the flat parameter array that `rank` reduces and updates. Boundaries fall on multiples of
 * 16 floats (64 bytes, a cache line), so two workers never write the same line.
 */
export function ownedRange(total: number, parties: number, rank: number): [number, number] {
  const lines = Math.ceil(total / 16);
  const [a, b] = shareOf(lines, parties, rank);
  return [Math.min(total, a * 16), Math.min(total, b * 16)];
}
