import type { InspectModel } from './model';
import { scoreValidation, type Scores } from './predictions';

/**
 * The scores of the validation images, which the confusion matrix, its cells and the gallery all start from.
 * Scoring runs the whole validation set through the network, so they are reused while the weights are the same:
 * the same network at the same training step (a finished network's step is always null).
 */
export class ScoreCache {
  private last: { model: InspectModel; step: number | null; scores: Scores } | null = null;

  async of(model: InspectModel): Promise<Scores> {
    const step = model.step();
    if (this.last?.model === model && this.last.step === step) return this.last.scores;
    const scores = await scoreValidation(model);
    this.last = { model, step, scores };
    return scores;
  }

  /** Another network is inspected now: the old one's scores need not stay in memory. */
  clear(): void {
    this.last = null;
  }
}
