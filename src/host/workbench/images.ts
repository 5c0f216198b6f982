import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sizeOf, tensor, type Tensor } from '../../engine';
import { encodePng, type InputSpec } from '../datasets';
import { readImage } from '../inference/model';

/** A [C, H, W] image with values in [0, 1] (C = 1 or 3) as a PNG data: URL, which the page may show. */
export async function pngDataUrl(image: Tensor): Promise<string> {
  return `data:image/png;base64,${(await encodePng(image)).toString('base64')}`;
}

/** Image `i` of a batch [N, C, H, W], as its own [C, H, W] tensor (a view, not a copy). */
export function imageOf(batch: Tensor, i: number): Tensor {
  const shape = batch.shape.slice(1);
  const per = sizeOf(shape);
  return tensor(shape, batch.data.subarray(i * per, (i + 1) * per));
}

/** Image `i` of a batch as a batch of one [1, C, H, W]. */
export function batchOfOne(batch: Tensor, i: number): Tensor {
  return tensor([1, ...batch.shape.slice(1)], imageOf(batch, i).data);
}

/**
 * Decodes the bytes of an image the user dropped into the model's input [1, ...inputShape], with the dataset
 * service's own decoder: the content decides the format (PNG, JPEG, WebP, GIF, TIFF, BMP), the pixel cap refuses
 * a decompression bomb before it is decoded. The decoder reads files, so the bytes pass through a private
 * temporary folder that is removed at once. `name` is only used in messages.
 */
export async function decodeDropped(
  bytes: Uint8Array,
  name: string,
  input: InputSpec,
  inputShape: readonly number[],
): Promise<Tensor> {
  if (bytes.length === 0) throw new Error(`'${name}' is empty`);
  const dir = await mkdtemp(join(tmpdir(), 'convas-drop-'));
  const path = join(dir, 'image');
  try {
    await writeFile(path, bytes, { mode: 0o600 });
    return await readImage(path, input, inputShape);
  } catch (e) {
    // The decoder names the temporary file; the user knows the image by its own name.
    const why = (e as Error).message.replace(`${path}: `, '').replace(`${path} is not`, 'it is not');
    throw new Error(`'${name}' cannot be used: ${why.replaceAll(path, 'the image')}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
