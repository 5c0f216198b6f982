import { toMetric, type EpochRecord } from '../../shared/project';
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
