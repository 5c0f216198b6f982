import { readFile } from 'node:fs/promises';
import { tensor, type NamedWeights, type OptimizerState } from '../../engine';
import { decodeSafetensors, encodeSafetensors } from '../../engine/formats/safetensors';
import { findForbiddenKey } from '../../shared/safe-json';
import { writeFileAtomic } from '../project/atomic-write';
import type { ReplicaRandomState } from '../training';
import type { EpochEvent } from './types';

/**
 * A checkpoint is a safetensors file: the weights under their own names, the optimizer's slots as
 * `optimizer/<weight name>/<slot>`, and the JSON below in the metadata. Written atomically, so a crash mid-write
 * leaves the previous checkpoint intact.
 */
export interface Checkpoint {
  /** Epochs completed. */
  epoch: number;
  seed: number;
  /** The host generator's state after `epoch` epochs (shuffling, augmentation). */
  rngState: number;
  optimizer: OptimizerState;
  weights: NamedWeights;
  best: { valAccuracy: number; epoch: number; weights: NamedWeights } | null;
  history: EpochEvent[];
  /** Epochs in a row without a better validation accuracy. */
  sinceBest: number;
  /**
   * Each training thread's generators (dropout, shuffling) and step count, so that a resumed run with as many
   * threads is the uninterrupted one bit for bit. Absent in checkpoints written before they were kept.
   */
  workers?: ReplicaRandomState[];
  /** The loss of the run's first step, which divergence is judged against (divergence.ts). */
  firstLoss?: number;
}

const KEY = 'convas.checkpoint';

export async function writeCheckpoint(path: string, c: Checkpoint): Promise<void> {
  const tensors: NamedWeights = { ...c.weights };
  for (const [name, slots] of Object.entries(c.optimizer.slots)) {
    slots.forEach((s, i) => (tensors[`optimizer/${name}/${i}`] = tensor([s.length], s)));
  }
  if (c.best) for (const [name, t] of Object.entries(c.best.weights)) tensors[`best/${name}`] = t;
  const meta = {
    epoch: c.epoch,
    seed: c.seed,
    rngState: c.rngState,
    optimizerStep: c.optimizer.step,
    slots: Object.fromEntries(Object.entries(c.optimizer.slots).map(([k, v]) => [k, v.length])),
    best: c.best ? { valAccuracy: c.best.valAccuracy, epoch: c.best.epoch } : null,
    history: c.history,
    sinceBest: c.sinceBest,
    ...(c.workers ? { workers: c.workers } : {}),
    ...(c.firstLoss === undefined ? {} : { firstLoss: c.firstLoss }),
  };
  try {
    await writeFileAtomic(path, encodeSafetensors(tensors, { [KEY]: JSON.stringify(meta) }));
  } catch (e) {
    // Node's "ENOSPC: no space left on device, write" names no file.
    throw new CheckpointWriteError(path, e as Error);
  }
}

export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

/** A checkpoint could not be written (a full disk, a folder gone); the previous one, if any, is intact. */
export class CheckpointWriteError extends CheckpointError {
  override name = 'CheckpointWriteError';
  constructor(
    readonly path: string,
    override readonly cause: Error,
  ) {
    super(`cannot write the checkpoint '${path}': ${cause.message}`);
  }
}

export async function readCheckpoint(path: string): Promise<Checkpoint> {
  let decoded;
  try {
    decoded = decodeSafetensors(new Uint8Array(await readFile(path)));
  } catch (e) {
    throw new CheckpointError(`cannot read the checkpoint ${path}: ${(e as Error).message}`);
  }
  const text = decoded.metadata[KEY];
  if (!text) throw new CheckpointError(`${path} is not a Convas checkpoint`);
  if (findForbiddenKey(JSON.parse(text))) throw new CheckpointError(`${path} has a forbidden key in its metadata`);
  const meta = JSON.parse(text) as {
    epoch: number;
    seed: number;
    rngState: number;
    optimizerStep: number;
    slots: Record<string, number>;
    best: { valAccuracy: number; epoch: number } | null;
    history: EpochEvent[];
    sinceBest: number;
    workers?: ReplicaRandomState[];
    firstLoss?: number;
  };
  const weights: NamedWeights = {};
  const bestWeights: NamedWeights = {};
  const slots: Record<string, Float32Array[]> = {};
  for (const [name, t] of Object.entries(decoded.tensors)) {
    if (name.startsWith('optimizer/')) continue;
    if (name.startsWith('best/')) bestWeights[name.slice(5)] = t;
    else weights[name] = t;
  }
  for (const [name, count] of Object.entries(meta.slots)) {
    slots[name] = Array.from({ length: count }, (_, i) => {
      const t = decoded.tensors[`optimizer/${name}/${i}`];
      if (!t) throw new CheckpointError(`${path} is missing the optimizer state of '${name}'`);
      return t.data;
    });
  }
  return {
    epoch: meta.epoch,
    seed: meta.seed,
    rngState: meta.rngState,
    optimizer: { step: meta.optimizerStep, slots },
    weights,
    best: meta.best ? { ...meta.best, weights: bestWeights } : null,
    history: meta.history,
    sinceBest: meta.sinceBest,
    ...(meta.workers ? { workers: meta.workers } : {}),
    ...(meta.firstLoss === undefined ? {} : { firstLoss: meta.firstLoss }),
  };
}
