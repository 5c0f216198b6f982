import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeSafetensors } from '../../src/engine/formats/safetensors';
import { Network } from '../../src/engine/network';
import { tensor } from '../../src/engine/tensor';
import { writeFileAtomic } from '../../src/host/project/atomic-write';
import {
  decodeProject,
  encodeProject,
  ProjectFileError,
  readProjectFile,
  writeProjectFile,
} from '../../src/host/project/project-file';
import { newProjectContent, PROJECT_METADATA_KEY, type ProjectContent } from '../../src/shared/project';
import { chain } from '../helpers/graphs';

const graph = chain(['in', 'input', { channels: 1, height: 4, width: 4, vector: true }], ['fc', 'dense', { units: 3 }]);
const content: ProjectContent = {
  name: 'tiny',
  graph,
  dataset: { path: '/data/fashion' },
  history: [
    {
      startedAt: '2025-01-02T03:04:05.000Z',
      settings: { optimizer: 'adam', learningRate: 0.001, batchSize: 32 },
      epochs: [
        { epoch: 0, step: 10, loss: 1.5, accuracy: 0.4 },
        { epoch: 1, step: 20, loss: 'NaN' },
      ],
      stopped: 'loss became NaN at step 20',
    },
  ],
};

/** A valid file whose project JSON is replaced by `json`. */
const withJson = (json: unknown) => encodeSafetensors({}, { [PROJECT_METADATA_KEY]: JSON.stringify(json) });
const fileJson = (over: Record<string, unknown> = {}) => ({
  format: 'convas-project',
  version: 1,
  ...newProjectContent(graph),
  weights: [],
  savedAt: '2025-01-01T00:00:00.000Z',
  ...over,
});

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'convas-project-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('project file codec', () => {
  it('round-trips content and trained weights bit for bit', () => {
    const weights = new Network(graph, 7).getWeights();
    const back = decodeProject(encodeProject(content, weights), 'x');
    expect(back.file.graph).toEqual(graph);
    expect(back.file.history).toEqual(content.history);
    expect(back.file.dataset).toEqual({ path: '/data/fashion' });
    expect(back.file.weights.map((w) => w.name)).toEqual(['fc.bias', 'fc.kernel']);
    expect(Object.keys(back.weights).sort()).toEqual(['fc.bias', 'fc.kernel']);
    expect(back.weights['fc.kernel'].shape).toEqual([3, 16]);
    expect(Array.from(back.weights['fc.kernel'].data)).toEqual(Array.from(weights['fc.kernel'].data));
  });

  it('stores an untrained project with no tensors at all', () => {
    const back = decodeProject(encodeProject(newProjectContent(graph), {}), 'x');
    expect(back.weights).toEqual({});
    expect(back.file.weights).toEqual([]);
  });

  it('refuses to write content that it would refuse to read', () => {
    const bad = { ...content, graph: { ...graph, version: 99 } };
    expect(() => encodeProject(bad, {})).toThrow(/cannot be saved[\s\S]*newer Convas/);
  });

  it('refuses a malformed file, naming it and the reason', () => {
    expect(() => decodeProject(new TextEncoder().encode('hello, this is not a project'), "'notes.convas'")).toThrow(
      /'notes.convas' is not a readable Convas project: header claims/,
    );
  });

  it('refuses a truncated file', () => {
    const bytes = encodeProject(content, new Network(graph).getWeights());
    expect(() => decodeProject(bytes.subarray(0, bytes.length - 10), 'cut.convas')).toThrow(
      /cut.convas is not a readable Convas project: .*run past the end/,
    );
    expect(() => decodeProject(bytes.subarray(0, 5), 'cut.convas')).toThrow(/too short/);
  });

  it('refuses a safetensors file that is not a project', () => {
    const bytes = encodeSafetensors({ w: tensor([2], [1, 2]) });
    expect(() => decodeProject(bytes, 'weights.safetensors')).toThrow(
      /not a Convas project: it has no 'convas.project'/,
    );
  });

  it('refuses a project from a newer Convas with that reason, not a list of unknown fields', () => {
    const bytes = withJson(fileJson({ version: 7, somethingNew: { a: 1 } }));
    expect(() => decodeProject(bytes, 'future.convas')).toThrow(
      'future.convas was saved by a newer Convas (project version 7); this Convas reads project versions up to 1',
    );
  });

  it('refuses __proto__ keys wherever they are', () => {
    const text = JSON.stringify(fileJson()).replace('"history":[]', '"history":[],"__proto__":{"polluted":true}');
    const bytes = encodeSafetensors({}, { [PROJECT_METADATA_KEY]: text });
    expect(() => decodeProject(bytes, 'evil.convas')).toThrow(/the key \$\.__proto__ is not allowed/);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('refuses unknown fields, wrong types and bad JSON with the path at fault', () => {
    expect(() => decodeProject(withJson(fileJson({ extra: 1 })), 'a')).toThrow(/Unrecognized key: "extra"/);
    expect(() => decodeProject(withJson(fileJson({ dataset: 'x' })), 'a')).toThrow(/dataset/);
    expect(() => decodeProject(withJson(fileJson({ format: 'other' })), 'a')).toThrow(
      /a is not a Convas project \(its format is "other"\)/,
    );
    const bytes = encodeSafetensors({}, { [PROJECT_METADATA_KEY]: '{"format":' });
    expect(() => decodeProject(bytes, 'a')).toThrow(/not valid JSON/);
  });

  it('refuses weights that disagree with the list in the project', () => {
    const listed = fileJson({ weights: [{ name: 'fc.kernel', shape: [3, 16] }] });
    const meta = { [PROJECT_METADATA_KEY]: JSON.stringify(listed) };
    expect(() => decodeProject(encodeSafetensors({}, meta), 'a')).toThrow(
      /lists the weight 'fc.kernel' but holds no tensor/,
    );
    const wrong = encodeSafetensors({ 'fc.kernel': tensor([2, 2]) }, meta);
    expect(() => decodeProject(wrong, 'a')).toThrow(/tensor 'fc.kernel' has shape \[2×2\], the project lists \[3×16\]/);
    const extra = encodeSafetensors({ 'fc.kernel': tensor([3, 16]), 'x.y': tensor([1]) }, meta);
    expect(() => decodeProject(extra, 'a')).toThrow(/holds tensors its project does not list: 'x.y'/);
  });
});

describe('project files on disk', () => {
  it('writes and reads back a project', async () => {
    const path = join(dir, 'p.convas');
    await writeProjectFile(path, content, {});
    const back = await readProjectFile(path);
    expect(back.file.name).toBe('tiny');
    expect(await readdir(dir)).toEqual(['p.convas']);
  });

  it('names the file when it cannot be read', async () => {
    await expect(readProjectFile(join(dir, 'missing.convas'))).rejects.toThrow(/cannot read '.*missing.convas'/);
    await mkdir(join(dir, 'folder.convas'));
    await expect(readProjectFile(join(dir, 'folder.convas'))).rejects.toThrow(
      /'.*folder.convas' is a folder, not a regular file/,
    );
    await writeFile(join(dir, 'empty.convas'), '');
    await expect(readProjectFile(join(dir, 'empty.convas'))).rejects.toThrow(ProjectFileError);
  });
});

describe('atomic writes', () => {
  it('replaces the file and leaves no temporary file behind', async () => {
    const path = join(dir, 'a.bin');
    await writeFileAtomic(path, new Uint8Array([1, 2, 3]));
    await writeFileAtomic(path, new Uint8Array([4, 5]));
    expect(Array.from(await readFile(path))).toEqual([4, 5]);
    expect(await readdir(dir)).toEqual(['a.bin']);
  });

  it('leaves the previous file intact and cleans up when the final rename fails', async () => {
    // A non-empty folder cannot be replaced by a file: the rename fails after the data was written.
    const path = join(dir, 'target');
    await mkdir(path);
    await writeFile(join(path, 'keep.txt'), 'old');
    await expect(writeFileAtomic(path, new Uint8Array([9]))).rejects.toThrow();
    expect(await readFile(join(path, 'keep.txt'), 'utf8')).toBe('old');
    expect(await readdir(dir)).toEqual(['target']);
  });

  it('a failed project save keeps the previous project file', async () => {
    const path = join(dir, 'p.convas');
    await writeProjectFile(path, content, {});
    const before = await readFile(path);
    const invalid = { ...content, graph: { ...graph, nodes: [{ ...graph.nodes[0], id: '1bad' }] } };
    await expect(writeProjectFile(path, invalid, {})).rejects.toThrow(/cannot be saved/);
    expect(Buffer.compare(await readFile(path), before)).toBe(0);
    await expect(writeProjectFile(join(dir, 'no-such-dir', 'p.convas'), content, {})).rejects.toThrow(
      /cannot save '.*no-such-dir.*p.convas'/,
    );
  });
});
