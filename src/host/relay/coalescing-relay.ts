/** What one flush delivers: every point since the last flush, in order, and the latest frame of each key. */
export interface RelayBatch<P, F> {
  points: P[];
  frames: F[];
}

export interface RelayOptions {
  /** Flushes happen at most this often. */
  intervalMs: number;
  /**
   * Whether the receiver can take a batch now (a WebSocket whose send buffer is not backed up). When it
   * cannot, the flush waits another interval: points keep accumulating, frames keep being replaced.
   */
  ready?: () => boolean;
  now?: () => number;
}

/**
 * Carries training progress from a busy producer (the training worker) to a slow consumer (the window)
 * without flooding it. Two kinds of message, two policies:
 * - points (loss and accuracy per step) are batched and never dropped: every chart point arrives, in order;
 * - frames (feature maps, large and superseded by the next) keep only the latest per key between flushes.
 * The producer never waits: `point` and `frame` only store; a timer sends at most once every `intervalMs`.
 */
export class CoalescingRelay<P, F> {
  private points: P[] = [];
  private frames = new Map<string, F>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private lastFlush = Number.NEGATIVE_INFINITY;
  private closed = false;
  /** Frames replaced by a newer one of the same key before they were sent. */
  framesSuperseded = 0;

  constructor(
    private readonly send: (batch: RelayBatch<P, F>) => void,
    private readonly options: RelayOptions,
  ) {
    if (!(options.intervalMs > 0))
      throw new RangeError(`relay interval must be a positive number of ms, got ${options.intervalMs}`);
  }

  point(p: P): void {
    if (this.closed) throw new Error('the relay is closed');
    this.points.push(p);
    this.schedule();
  }

  frame(key: string, f: F): void {
    if (this.closed) throw new Error('the relay is closed');
    // Replacing an entry keeps its place in the Map: frames arrive in the order their keys first appeared.
    if (this.frames.has(key)) this.framesSuperseded++;
    this.frames.set(key, f);
    this.schedule();
  }

  /** Sends what is pending now, if anything (also what `close` does last). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.points.length === 0 && this.frames.size === 0) return;
    const batch = { points: this.points, frames: [...this.frames.values()] };
    this.points = [];
    this.frames = new Map();
    this.lastFlush = this.now();
    this.send(batch);
  }

  /** Sends the rest and stops: no point is lost at the end of a run. */
  close(): void {
    this.flush();
    this.closed = true;
  }

  private schedule(): void {
    if (this.timer || this.closed) return;
    const wait = Math.max(0, this.lastFlush + this.options.intervalMs - this.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.options.ready && !this.options.ready()) {
        this.lastFlush = this.now();
        this.schedule();
        return;
      }
      this.flush();
    }, wait);
  }

  private now(): number {
    return this.options.now ? this.options.now() : Date.now();
  }
}
