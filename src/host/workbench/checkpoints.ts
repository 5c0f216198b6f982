import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { TrainingEnd } from '../../shared/training';

/** The checkpoint the last run left behind, which `resumeFromCheckpoint` continues from. */
export interface Resumable {
  path: string;
  epoch: number;
}

/**
 * The checkpoint files of one window's runs. Only the last run can be resumed, so at most one file is kept
 * between runs: a new run's file replaces it, a run that finished leaves none, and none outlives the window or
 * its project (a checkpoint is resumed from this window only, never left behind in the data folder).
 */
export class Checkpoints {
  /** The ended run's checkpoint, while it can be resumed. */
  private resumable: Resumable | null = null;

  constructor(
    /** WorkbenchOptions.checkpointDir: without it runs write none and a stopped or failed run cannot resume. */
    private readonly dir: string | undefined,
  ) {}

  /** The checkpoint the last run can resume from, if any. */
  get last(): Resumable | null {
    return this.resumable;
  }

  /** A file for a new run's checkpoint, replacing the last run's (only the last run can be resumed). */
  async fresh(): Promise<string | undefined> {
    await this.forget();
    const dir = this.dir;
    if (!dir) return undefined;
    await mkdir(dir, { recursive: true });
    return join(dir, `${randomUUID()}.checkpoint`);
  }

  /** A run opened with the last checkpoint: the file is the new run's now (a resumed run writes on to it). */
  handOver(): void {
    this.resumable = null;
  }

  /** A run ended that can resume from `epoch`, whose checkpoint `path` holds. */
  keep(path: string, epoch: number): void {
    this.resumable = { path, epoch };
  }

  /** A run ended with nothing to resume from (it finished): its checkpoint goes. */
  async discard(path: string): Promise<void> {
    await rm(path, { force: true }).catch(() => undefined);
  }

  /** The last run's checkpoint goes: it can no longer be resumed. */
  async forget(): Promise<void> {
    const path = this.resumable?.path;
    this.resumable = null;
    if (path) await rm(path, { force: true });
  }

  /** How the last run ended, saying whether it can still resume (a new project or run takes that away). */
  endWith(end: TrainingEnd): TrainingEnd {
    const { resumeFrom: _resumeFrom, ...rest } = end;
    return this.resumable ? { ...rest, resumeFrom: this.resumable.epoch } : rest;
  }
}
