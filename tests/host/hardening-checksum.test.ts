import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tensor } from '../../src/engine';
import { encodeSafetensors } from '../../src/engine/formats/safetensors';
import {
  decodeProject,
  encodeProject,
  readProjectFile,
  WEIGHTS_CHECKSUM_KEY,
  writeProjectFile,
} from '../../src/host/project/project-file';
import { newProjectContent, PROJECT_METADATA_KEY } from '../../src/shared/project';
import { chain } from '../helpers/graphs';

/**
 * Issue 15, item 7: flipped bits in a project's weight data loaded silently, as a slightly different network.
 * A checksum of the weights is now saved in the file and checked on open; older files without one still open.
 */

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'convas-hardening-checksum-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the checksum of a project’s weights', () => {
  const weights = {
    'fc.kernel': tensor([2, 3], Float32Array.from([0.5, -1.25, 2, 3.5, -0.75, 1])),
    'fc.bias': tensor([2], Float32Array.from([0.1, -0.2])),
  };
  const content = newProjectContent(chain(['x', 'input'], ['fc', 'dense', { units: 2 }]));

  it('is saved with the file, and a flipped weight byte is reported on open, naming the file', async () => {
    const path = join(dir, 'flip.convas');
    await writeProjectFile(path, content, weights);
    const bytes = await readFile(path);
    expect((await readProjectFile(path)).weights['fc.kernel'].data[1]).toBe(-1.25);
    let flipped = 0;
    // Flip the lowest bit of each weight in turn: every value stays finite, so only the checksum can tell.
    const dataStart = 8 + Number(bytes.readBigUInt64LE(0));
    for (let at = dataStart; at < bytes.length; at += 4) {
      const damaged = Buffer.from(bytes);
      damaged[at] ^= 1;
      await writeFile(path, damaged);
      await expect(readProjectFile(path)).rejects.toThrow(
        new RegExp(`^'${path}' is damaged: its weights do not match the checksum saved with them`),
      );
      flipped++;
    }
    expect(flipped).toBe(8);
  });

  it('keeps files saved before it existed loadable, and is not handed on as metadata', () => {
    const encoded = encodeProject(content, weights);
    const decoded = decodeProject(encoded, 'new.convas');
    expect(decoded.metadata).toEqual({});
    const json = JSON.stringify({
      format: 'convas-project',
      version: 1,
      ...content,
      weights: [
        { name: 'fc.bias', shape: [2] },
        { name: 'fc.kernel', shape: [2, 3] },
      ],
      savedAt: new Date(0).toISOString(),
    });
    const old = encodeSafetensors(weights, { [PROJECT_METADATA_KEY]: json });
    expect(decodeProject(old, 'old.convas').weights['fc.bias'].data[1]).toBeCloseTo(-0.2);
    expect(WEIGHTS_CHECKSUM_KEY).toBe('convas.weights-sha256');
  });

  it('leaves only the saved file behind after a save', async () => {
    const folder = join(dir, 'clean');
    await mkdir(folder);
    await writeProjectFile(join(folder, 'a.convas'), content, weights);
    expect(await readdir(folder)).toEqual(['a.convas']);
  });
});
