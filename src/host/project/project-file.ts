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
  type KeptWeightsInfo,
  type ProjectContent,
} from '../../shared/project';
import { DEFAULT_KEEP_WEIGHT_SETS } from '../../shared/training';
import { readUntrustedFile, UntrustedFileError } from '../files/read-untrusted';
import { writeFileAtomic } from './atomic-write';

/** A project file that cannot be read or written, with the file and the reason. */
export class ProjectFileError extends Error {
  override name = 'ProjectFileError';
}

/** A weight set kept for a run of the project's history. */
export interface KeptWeights extends KeptWeightsInfo {
  weights: NamedWeights;
}

/** Besides the current weights: which network they were trained on, and the weight sets kept for runs. */
export interface WeightsExtra {
  weightsGraph?: string | null;
  kept?: readonly KeptWeights[];
}

/** The tensor name under which kept set `i` stores weight `name`. */
const keptName = (i: number, name: string) => `kept${i}/${name}`;

/** A project as read from disk. */
export interface LoadedProject {
  file: ProjectFile;
  weights: NamedWeights;
  weightsGraph: string | null;
  kept: KeptWeights[];
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
  options: { savedAt?: Date; metadata?: Record<string, string> } & WeightsExtra = {},
): Uint8Array {
  const entries = (w: NamedWeights) =>
    Object.keys(w)
      .sort()
      .map((name) => ({ name, shape: [...w[name].shape] }));
  const kept = options.kept ?? [];
  const file: ProjectFile = {
    format: 'convas-project',
    version: PROJECT_VERSION,
    ...content,
    weights: entries(weights),
    ...(options.weightsGraph ? { weightsGraph: options.weightsGraph } : {}),
    ...(kept.length > 0 ? { kept: kept.map(({ weights: w, ...info }) => ({ ...info, weights: entries(w) })) } : {}),
    savedAt: (options.savedAt ?? new Date()).toISOString(),
  };
  const checked = ProjectFile.safeParse(file);
  if (!checked.success) {
    throw new ProjectFileError(`the project cannot be saved, it is not valid:\n${z.prettifyError(checked.error)}`);
  }
  const tensors: NamedWeights = { ...weights };
  kept.forEach((k, i) => {
    for (const [name, t] of Object.entries(k.weights)) tensors[keptName(i, name)] = t;
  });
  // The checksum covers every tensor in the file, the kept sets' too.
  return encodeSafetensors(tensors, {
    ...options.metadata,
    [PROJECT_METADATA_KEY]: JSON.stringify(checked.data),
    [WEIGHTS_CHECKSUM_KEY]: weightsChecksum(tensors),
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
  /** The tensors a list names, each checked against its listed shape. */
  const take = (list: readonly { name: string; shape: number[] }[], stored: (name: string) => string) => {
    const out: NamedWeights = {};
    for (const { name: weight, shape } of list) {
      const name = stored(weight);
      if (listed.has(name)) throw new ProjectFileError(`${source} lists the weight '${name}' twice`);
      listed.add(name);
      const t = Object.hasOwn(decoded.tensors, name) ? decoded.tensors[name] : undefined;
      if (!t) throw new ProjectFileError(`${source} lists the weight '${name}' but holds no tensor of that name`);
      if (!sameShape(t.shape, shape)) {
        throw new ProjectFileError(
          `${source}: tensor '${name}' has shape [${shapeToString(t.shape)}], the project lists [${shapeToString(shape)}]`,
        );
      }
      out[weight] = t;
    }
    return out;
  };
  const weights = take(file.weights, (name) => name);
  const kept: KeptWeights[] = (file.kept ?? []).map(({ weights: list, ...info }, i) => ({
    ...info,
    weights: take(list, (name) => keptName(i, name)),
  }));
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
  return { file, weights, weightsGraph: file.weightsGraph ?? null, kept, metadata };
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
  extra: WeightsExtra = {},
): Promise<void> {
  const bytes = encodeProject(content, weights, { metadata, ...extra });
  try {
    await writeFileAtomic(path, bytes);
  } catch (e) {
    throw new ProjectFileError(`cannot save '${path}': ${(e as Error).message}`);
  }
}

/** Whether `weights` are one of the kept sets, bit for bit (then a run that replaces them loses nothing). */
export function isKept(weights: NamedWeights, kept: readonly KeptWeights[]): boolean {
  const names = Object.keys(weights);
  return kept.some(
    (k) =>
      Object.keys(k.weights).length === names.length &&
      names.every((n) => {
        const a = weights[n];
        const b = k.weights[n];
        if (!b || !sameShape(a.shape, b.shape)) return false;
        return Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).equals(
          Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength),
        );
      }),
  );
}

/**
 * The set a run adds for the weights it replaces, when no kept set holds them (weights imported from a file): with
 * it, training never loses weights. Empty when there were none, or they are kept already.
 */
export function startSet(
  run: string,
  current: NamedWeights,
  currentGraph: string | null,
  kept: readonly KeptWeights[],
): KeptWeights[] {
  if (Object.keys(current).length === 0 || isKept(current, kept)) return [];
  return [{ run, kind: 'start', epoch: 0, graphVersion: currentGraph ?? '', weights: current }];
}

/** The newest kept sets within the project's limit, of runs still in its history (the oldest go first). */
export function keptWithin(kept: readonly KeptWeights[], content: ProjectContent): KeptWeights[] {
  const limit = content.settings?.keepWeightSets ?? DEFAULT_KEEP_WEIGHT_SETS;
  const runs = new Set(content.history.map((h) => h.startedAt));
  const live = kept.filter((k) => runs.has(k.run));
  return limit === 0 ? [] : live.slice(-limit);
}
