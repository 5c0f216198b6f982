import type { Tensor } from '../../engine';
import type { ImageRef } from '../../shared/training';
import { inputSpecOf } from '../inference/model';
import { batchOfOne, decodeDropped } from './images';
import { InspectError } from './inspect';
import type { InspectModel } from './model';

/**
 * The images that inspections (and a run's feature-map frames) name by reference: a validation image of the
 * network's own dataset, or the image the user last dropped. The dropped one is kept as bytes and decoded once
 * for each network it is shown to, since the next network may take another input size.
 */
export class ImageRefs {
  private dropped: { name: string; bytes: Uint8Array; for: InspectModel | null; x: Tensor | null } | null = null;

  /** The user dropped an image on the prediction view: it replaces the last one. */
  drop(name: string, bytes: Uint8Array): void {
    this.dropped = { name, bytes, for: null, x: null };
  }

  clear(): void {
    this.dropped = null;
  }

  /** The batch of one an image reference names: a validation image, or the dropped one decoded for this network. */
  async imageFor(ref: ImageRef, model: InspectModel): Promise<Tensor> {
    if (ref.kind === 'validation') {
      const n = model.validation.labels.length;
      if (ref.index >= n) throw new InspectError(`there are ${n} validation images; image ${ref.index} is not one`);
      return batchOfOne(model.validation.x, ref.index);
    }
    const dropped = this.dropped;
    if (!dropped) throw new InspectError('no image has been dropped on the prediction view yet');
    if (dropped.for !== model || !dropped.x) {
      const input = inputSpecOf(model.graph);
      dropped.x = await decodeDropped(dropped.bytes, dropped.name, input, model.graph.inputShape);
      dropped.for = model;
    }
    return dropped.x;
  }
}
