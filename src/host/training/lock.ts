/**
 * A first-come, first-served lock over async work. The pool's workers do one job at a time (a run, an
 * evaluation, a weight load); jobs take the lock so that they never interleave. A paused run gives the
 * lock back, which is what lets a caller evaluate or load weights while a run is paused.
 */
export class Lock {
  private tail: Promise<void> = Promise.resolve();

  /** Resolves, when it is this caller's turn, with the function that lets the next one in. */
  acquire(): Promise<() => void> {
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    const turn = this.tail.then(() => release);
    this.tail = this.tail.then(() => done);
    return turn;
  }

  async run<T>(job: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await job();
    } finally {
      release();
    }
  }
}
