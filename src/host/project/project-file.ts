import { createHash } from 'node:crypto';
import { endianness } from 'node:os';
import { z } from 'zod';
import { decodeSafetensors, encodeSafetensors } from '../../engine/formats/safetensors';
import type { NamedWeights } from '../../engine/network';
import { sameShape, shapeToString } from '../../engine/tensor';
import {
  PROJECT_METADATA_KEY,
  PROJECT_VERSION,
  ProjectFile,
  parseProjectJson,
  type ProjectContent,
} from '../../shared/project';
import { readUntrustedFile, UntrustedFileError } from '../files/read-untrusted';
import { writeFileAtomic } from './atomic-write';

/** A project file that cannot be read or written, with the file and the reason. */
export class ProjectFileError extends Error {
  override name = 'ProjectFileError';
}

/** A project as read from disk. */
export interface LoadedProject {
  file: ProjectFile;
  weights: NamedWeights;
  /** The file's other metadata keys (a backup keeps where it came from in one). */
  metadata: Record<string, string>;
}

/** Project files larger than this are refused before they are read (a trained VGG-sized network is ~500 MB). */
export const MAX_PROJECT_BYTES = 2 * 1024 * 1024 * 1024 - 1;

/**
 * The bytes of a .convas file. The JSON is checked against the schema first, so that Convas never writes a
 * file it would refuse to read.
 */
export function encodeProject(
  content: ProjectContent,
  weights: NamedWeights,
  options: { savedAt?: Date; metadata?: Record<string, string> } = {},
): Uint8Array {
  const names = Object.keys(weights).sort();
  const file: ProjectFile = {
    format: 'convas-project',
    version: PROJECT_VERSION,
    ...content,
    weights: names.map((name) => ({ name, shape: [...weights[name].shape] })),
    savedAt: (options.savedAt ?? new Date()).toISOString(),
  };
  const checked = ProjectFile.safeParse(file);
  if (!checked.success) {
    throw new ProjectFileError(`the project cannot be saved, it is not valid:\n${z.prettifyError(checked.error)}`);
  }
  return encodeSafetensors(weights, {
    ...options.metadata,
    [PROJECT_METADATA_KEY]: JSON.stringify(checked.data),
    [WEIGHTS_CHECKSUM_KEY]: weightsChecksum(weights),
  });
}

/**
 * The metadata key of the SHA-256 of a project's weight bytes (the data section of the file), checked on open:
 * a flipped bit in the weights used to load silently as a slightly different network.
 */
export const WEIGHTS_CHECKSUM_KEY = 'convas.weights-sha256';

/** SHA-256 of the weights as the file lays them out: float32, little-endian, tensors in name order, no gaps. */
function weightsChecksum(weights: NamedWeights): string {
  const hash = createHash('sha256');
  for (const name of Object.keys(weights).sort()) {
    const data = weights[name].data;
    if (LITTLE_ENDIAN) hash.update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    else {
      const le = new DataView(new ArrayBuffer(data.byteLength));
      data.forEach((v, i) => le.setFloat32(i * 4, v, true));
      hash.update(new Uint8Array(le.buffer));
    }
  }
  return hash.digest('hex');
}

const LITTLE_ENDIAN = endianness() === 'LE';

/** SHA-256 of a safetensors file's data section (everything after its header). */
function dataSectionChecksum(bytes: Uint8Array): string {
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  return createHash('sha256')
    .update(bytes.subarray(8 + Number(headerLength)))
    .digest('hex');
}

/**
 * Reads a .convas file's bytes, refusing anything that does not add up: a broken or truncated safetensors
 * container, missing or invalid project JSON, a newer version, or weights that disagree with the list in the JSON.
 * `source` names the file in every message.
 */
export function decodeProject(bytes: Uint8Array, source: string): LoadedProject {
  let decoded;
  try {
    decoded = decodeSafetensors(bytes);
  } catch (e) {
    throw new ProjectFileError(`${source} is not a readable Convas project: ${(e as Error).message}`);
  }
  const json = decoded.metadata[PROJECT_METADATA_KEY];
  if (json === undefined) {
    throw new ProjectFileError(
      `${source} holds weights but is not a Convas project: it has no '${PROJECT_METADATA_KEY}' metadata`,
    );
  }
  let file: ProjectFile;
  try {
    file = parseProjectJson(json, source);
  } catch (e) {
    throw new ProjectFileError((e as Error).message);
  }
  const listed = new Set<string>();
  for (const { name, shape } of file.weights) {
    if (listed.has(name)) throw new ProjectFileError(`${source} lists the weight '${name}' twice`);
    listed.add(name);
    const t = Object.hasOwn(decoded.tensors, name) ? decoded.tensors[name] : undefined;
    if (!t) throw new ProjectFileError(`${source} lists the weight '${name}' but holds no tensor of that name`);
    if (!sameShape(t.shape, shape)) {
      throw new ProjectFileError(
        `${source}: tensor '${name}' has shape [${shapeToString(t.shape)}], the project lists [${shapeToString(shape)}]`,
      );
    }
  }
  const unlisted = Object.keys(decoded.tensors).filter((name) => !listed.has(name));
  if (unlisted.length > 0) {
    throw new ProjectFileError(
      `${source} holds tensors its project does not list: '${unlisted.slice(0, 5).join("', '")}'`,
    );
  }
  // Files saved before the checksum existed have none, and still open.
  const expected = decoded.metadata[WEIGHTS_CHECKSUM_KEY];
  if (expected !== undefined) {
    const found = dataSectionChecksum(bytes);
    if (found !== expected) {
      throw new ProjectFileError(
        `${source} is damaged: its weights do not match the checksum saved with them ` +
          `(SHA-256 ${found.slice(0, 12)}…, saved as ${expected.slice(0, 12)}…); it was changed after it was saved`,
      );
    }
  }
  const metadata = { ...decoded.metadata };
  delete metadata[PROJECT_METADATA_KEY];
  delete metadata[WEIGHTS_CHECKSUM_KEY];
  return { file, weights: decoded.tensors, metadata };
}

/** Reads and checks a .convas file; every failure names the file. */
export async function readProjectFile(path: string): Promise<LoadedProject> {
  let bytes: Uint8Array;
  try {
    bytes = (await readUntrustedFile(path, { maxBytes: MAX_PROJECT_BYTES })).bytes;
  } catch (e) {
    if (e instanceof UntrustedFileError && e.problem !== 'unreadable') throw new ProjectFileError(e.message);
    throw new ProjectFileError(`cannot read '${path}': ${(e as Error).message}`);
  }
  return decodeProject(bytes, `'${path}'`);
}

/** Writes a .convas file atomically: a failed save leaves the previous file as it was. */
export async function writeProjectFile(
  path: string,
  content: ProjectContent,
  weights: NamedWeights,
  metadata?: Record<string, string>,
): Promise<void> {
  const bytes = encodeProject(content, weights, { metadata });
  try {
    await writeFileAtomic(path, bytes);
  } catch (e) {
    throw new ProjectFileError(`cannot save '${path}': ${(e as Error).message}`);
  }
}
