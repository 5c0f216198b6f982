/**
 * Runs at most `max` async jobs at once; the rest wait in order. Used to bound how many files are open and
 * how many decodes hold memory at the same time.
 */
export class Limiter {
  private active = 0;
  /**
   * A queue as an array and the index of its head: a scan queues every file of the folder at once, and
   * Array.shift on 60,000 waiters copied the rest each time (2.7 s of the main thread on Fashion-MNIST).
   */
  private waiting: (() => void)[] = [];
  private head = 0;

  constructor(readonly max: number) {
    if (!(max >= 1)) throw new RangeError(`Limiter: max must be at least 1, got ${max}`);
  }

  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await job();
    } finally {
      this.active--;
      this.wakeNext();
    }
  }

  private wakeNext(): void {
    if (this.head === this.waiting.length) return;
    const next = this.waiting[this.head++];
    // Drop the woken part now and then, so a long-lived limiter does not keep every resolver it ever queued.
    if (this.head >= 1024 && this.head * 2 >= this.waiting.length) {
      this.waiting = this.waiting.slice(this.head);
      this.head = 0;
    }
    next();
  }
}
