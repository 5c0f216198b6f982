import type { TrainingPlan } from '../../shared/api';
import { graphVersion } from '../../shared/graph-version';
import { toMetric, type EpochRecord, type TrainingRun } from '../../shared/project';
import type { EpochPoint, TrainingEnd } from '../../shared/training';
import type { EpochEvent } from './types';

/** An epoch as a project's training history keeps it (NaN and Infinity as their names, so they survive JSON). */
export function epochRecord(e: EpochEvent): EpochRecord {
  return {
    epoch: e.epoch,
    step: e.globalStep,
    loss: toMetric(e.loss),
    accuracy: toMetric(e.accuracy),
    valLoss: toMetric(e.valLoss),
    valAccuracy: toMetric(e.valAccuracy),
    seconds: e.seconds,
  };
}

/** Longest text a run's setting may hold (the project schema's limit). */
const SETTING_TEXT = 200;

/** Why a run ended, in the words the history keeps; nothing for a run that finished. */
export function stoppedReason(end: TrainingEnd): string | undefined {
  if (end.status === 'finished') return undefined;
  // A stop has a reason of its own only when it was not the user's (a checkpoint that could not be written).
  if (end.status === 'stopped') return end.reason ?? `stopped by the user after epoch ${end.epochs}`;
  return (end.reason ?? end.status).slice(0, 2000);
}

/** A long path keeps its end, which names the folder. */
const clip = (text: string) => (text.length <= SETTING_TEXT ? text : `…${text.slice(-(SETTING_TEXT - 1))}`);

/** The run as the project's history keeps it: its settings, the graph version, every epoch and how it ended. */
export function runRecord(o: {
  startedAt: string;
  plan: TrainingPlan;
  dataset: string;
  epochs: readonly EpochPoint[];
  end: TrainingEnd;
  /** Whether the run started from the project's weights or from a fresh initialisation. */
  start?: 'scratch' | 'continue';
}): TrainingRun {
  const { hyper, data, graph } = o.plan;
  const stopped = stoppedReason(o.end);
  return {
    startedAt: o.startedAt,
    settings: {
      optimizer: hyper.optimizer,
      learningRate: hyper.learningRate,
      schedule: hyper.schedule,
      ...(hyper.optimizer === 'momentum' ? { momentum: hyper.momentum } : {}),
      weightDecay: hyper.weightDecay,
      ...(hyper.labelSmoothing > 0 ? { labelSmoothing: hyper.labelSmoothing } : {}),
      batchSize: hyper.batchSize,
      epochs: hyper.epochs,
      seed: hyper.seed,
      patience: hyper.patience,
      validationFraction: data.validationFraction,
      resize: data.resize,
      flip: data.augment.flip,
      shift: data.augment.shift,
      rotate: data.augment.rotate,
      brightness: data.augment.brightness,
      contrast: data.augment.contrast,
      data: clip(o.dataset),
      graphVersion: graphVersion(graph),
      layers: graph.nodes.length,
      status: o.end.status,
      start: o.start ?? 'scratch',
    },
    // The window's record carries whether an epoch was the best; the file's does not.
    epochs: o.epochs.map(({ best: _best, ...e }) => e),
    ...(stopped === undefined ? {} : { stopped }),
  };
}
