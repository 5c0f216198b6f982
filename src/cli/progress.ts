import type { EpochEvent, StepEvent } from '../host/session';
import type { CliIo } from './io';

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

export function clock(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${r}` : `${m}:${r}`;
}

/**
 * Training progress on stderr: on a terminal a bar redrawn at most ten times a second; in a log or a pipe,
 * only one line per epoch, so that output files stay readable.
 */
export class ProgressBar {
  private lastDraw = 0;

  constructor(
    private readonly io: CliIo,
    private readonly epochs: number,
  ) {}

  step(e: StepEvent): void {
    if (!this.io.isTTY) return;
    const now = Date.now();
    if (now - this.lastDraw < 100 && e.step !== e.steps) return;
    this.lastDraw = now;
    const width = 24;
    const filled = Math.round((e.step / e.steps) * width);
    const bar = '#'.repeat(filled) + '.'.repeat(width - filled);
    this.io.stderr(
      `\r\x1b[2Kepoch ${e.epoch}/${this.epochs} [${bar}] ${e.step}/${e.steps}  loss ${e.loss.toFixed(4)}  ` +
        `${Math.round(e.imagesPerSecond)} img/s  ETA ${clock(e.etaSeconds)}`,
    );
  }

  epoch(e: EpochEvent): void {
    const line =
      `epoch ${e.epoch}/${this.epochs}  loss ${e.loss.toFixed(4)}  acc ${pct(e.accuracy)}  ` +
      `val loss ${e.valLoss.toFixed(4)}  val acc ${pct(e.valAccuracy)}${e.best ? ' (best)' : ''}  ` +
      `${e.seconds.toFixed(1)} s, ${Math.round(e.imagesPerSecond)} img/s`;
    this.io.stderr(`${this.io.isTTY ? '\r\x1b[2K' : ''}${line}\n`);
  }
}
