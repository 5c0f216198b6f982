import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compileGraph, transferWeights, weightFit } from '../../src/engine';
import { Network, type NamedWeights } from '../../src/engine/network';
import type { Dialogs } from '../../src/host/project/dialogs';
import {
  decodeProject,
  encodeProject,
  readProjectFile,
  writeProjectFile,
  type KeptWeights,
} from '../../src/host/project/project-file';
import { createHostServices } from '../../src/host/project/services';
import { ProjectSession } from '../../src/host/project/session';
import type { Graph } from '../../src/shared/graph';
import { graphVersion } from '../../src/shared/graph-version';
import { parseProjectJson, type ProjectContent, type TrainingRun } from '../../src/shared/project';
import { defaultProjectSettings } from '../../src/shared/training';
import { chain } from '../helpers/graphs';

/** A small CNN: conv1 → relu → conv2 → flatten → fc. */
const cnn = (filters: number): Graph =>
  chain(
    ['in', 'input', { channels: 1, height: 6, width: 6 }],
    ['conv1', 'conv2d', { filters, kernelH: 3, kernelW: 3 }],
    ['relu1', 'relu', {}],
    ['conv2', 'conv2d', { filters: 3, kernelH: 3, kernelW: 3 }],
    ['flat', 'flatten', {}],
    ['fc', 'dense', { units: 2 }],
  );
const weightsOf = (g: Graph, seed: number): NamedWeights => new Network(compileGraph(g), seed).getWeights();
const run = (startedAt: string): TrainingRun => ({ startedAt, settings: { optimizer: 'sgd' }, epochs: [] });
const bits = (t: { data: Float32Array }) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);

describe('partial weight transfer after an edit', () => {
  it('keeps every layer whose weights still fit, bit for bit, and initialises the others', () => {
    const trained = weightsOf(cnn(4), 7);
    const edited = compileGraph(cnn(2));
    const fresh = weightsOf(cnn(2), 1);
    const fits = weightFit(
      edited,
      Object.entries(trained).map(([name, t]) => ({ name, shape: t.shape })),
    );
    expect(Object.fromEntries(fits.map((f) => [f.nodeId, f.fits]))).toEqual({ conv1: false, conv2: false, fc: true });
    expect(fits[0].reason).toBe('its trained kernel is [4×1×3×3], the layer now needs [2×1×3×3]');

    const { weights, kept, initialised } = transferWeights(edited, fresh, trained);
    expect(kept).toEqual(['fc.kernel', 'fc.bias']);
    expect(initialised).toEqual(['conv1.kernel', 'conv1.bias', 'conv2.kernel', 'conv2.bias']);
    for (const name of kept) expect(bits(weights[name]).equals(bits(trained[name]))).toBe(true);
    // conv2's bias still has the shape it had, but its kernel does not: a layer is never half kept.
    for (const name of initialised) expect(bits(weights[name]).equals(bits(fresh[name]))).toBe(true);
  });
});

describe('kept weight sets in the project file', () => {
  const g = cnn(4);
  const content: ProjectContent = {
    graph: g,
    dataset: null,
    history: [run('2026-01-01T00:00:00.000Z'), run('2026-01-02T00:00:00.000Z')],
    settings: defaultProjectSettings(),
  };
  const kept: KeptWeights[] = [
    {
      run: '2026-01-01T00:00:00.000Z',
      kind: 'best',
      epoch: 2,
      valAccuracy: 0.5,
      graphVersion: 'v1',
      weights: weightsOf(g, 2),
    },
    {
      run: '2026-01-02T00:00:00.000Z',
      kind: 'best',
      epoch: 1,
      valAccuracy: 0.6,
      graphVersion: 'v1',
      weights: weightsOf(g, 3),
    },
    { run: '2026-01-02T00:00:00.000Z', kind: 'final', epoch: 3, graphVersion: 'v1', weights: weightsOf(g, 4) },
  ];

  it('round-trips the current weights, the graph they were trained on and every kept set, bit for bit', () => {
    const current = weightsOf(g, 5);
    const bytes = encodeProject(content, current, { weightsGraph: graphVersion(g), kept });
    const back = decodeProject(bytes, 'p.convas');
    expect(back.weightsGraph).toBe(graphVersion(g));
    expect(back.file.settings).toEqual(defaultProjectSettings());
    expect(back.kept.map(({ weights: _w, ...info }) => info)).toEqual(kept.map(({ weights: _w, ...info }) => info));
    kept.forEach((k, i) => {
      for (const name of Object.keys(k.weights))
        expect(bits(back.kept[i].weights[name]).equals(bits(k.weights[name]))).toBe(true);
    });
    for (const name of Object.keys(current)) expect(bits(back.weights[name]).equals(bits(current[name]))).toBe(true);
    // What it costs: each kept set adds its weights (4 bytes each) and little else.
    const bare = encodeProject(content, current, { weightsGraph: graphVersion(g) }).length;
    const perSet = Object.values(current).reduce((a, t) => a + t.data.length * 4, 0);
    expect(bytes.length - bare).toBeGreaterThanOrEqual(3 * perSet);
    expect(bytes.length - bare).toBeLessThan(3 * perSet + 3 * 1024);
  });

  it('opens settings saved before learning-rate schedules existed with a constant rate', () => {
    const saved = decodeProject(encodeProject(content, weightsOf(g, 5), {}), 'p.convas').file;
    const { schedule: _schedule, ...before } = saved.settings!.hyper;
    const old = parseProjectJson(
      JSON.stringify({ ...saved, settings: { ...saved.settings, hyper: before } }),
      'old.convas',
    );
    expect(old.settings?.hyper).toEqual({ ...before, schedule: 'constant' });
  });

  it('refuses a kept set whose tensor is missing', () => {
    const bytes = encodeProject(content, weightsOf(g, 5), { kept: kept.slice(0, 1) });
    const text = Buffer.from(bytes).toString('latin1').replace('kept0/conv1.kernel', 'kept9/conv1.kernel');
    expect(() => decodeProject(Buffer.from(text, 'latin1'), 'p.convas')).toThrow(
      /lists the weight 'kept0\/conv1\.kernel' but holds no tensor of that name/,
    );
  });
});

describe('a session keeps runs’ weights within the project’s limit and restores any of them', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'convas-runs-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('adopts runs, restores an earlier one, saves and reopens with the sets the limit allows', async () => {
    const file = join(dir, 'p.convas');
    const dialogs: Dialogs = {
      openFile: () => Promise.resolve(file),
      saveFile: () => Promise.resolve(file),
      pickFolder: () => Promise.resolve(null),
    };
    const services = createHostServices({
      dataDir: join(dir, 'data'),
      templatesDir: resolve('resources/templates'),
      appVersion: '0.0.0',
      runtime: 'test',
      autosaveMs: 60_000,
    });
    const session = new ProjectSession(services, dialogs);
    await session.newProject('lenet5');
    const graph = (await session.startup()).project!.project.graph;
    const version = graphVersion(graph);
    const times = ['2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z', '2026-01-03T00:00:00.000Z'];
    const sets = times.map((_, i) => weightsOf(graph, 10 + i));
    for (const [i, t] of times.entries()) {
      const opened = session.adoptTraining(
        sets[i],
        (c) => ({
          ...c,
          history: [...c.history, run(t)],
          settings: { ...defaultProjectSettings(), keepWeightSets: 2 },
        }),
        { graphVersion: version, kept: [{ run: t, kind: 'best', epoch: 1, graphVersion: version, weights: sets[i] }] },
      );
      expect(opened.weightsFrom).toEqual({ run: t, kind: 'best' });
    }
    // Two sets kept, the oldest run's dropped; the runs themselves all stay in the history.
    let opened = session.restoreKept(times[1], 'best');
    expect(opened.kept.map((k) => k.run)).toEqual([times[1], times[2]]);
    expect(opened.project.history).toHaveLength(3);
    expect(opened.weightsFrom).toEqual({ run: times[1], kind: 'best' });
    expect(bits(session.currentWeights['conv1.kernel']).equals(bits(sets[1]['conv1.kernel']))).toBe(true);
    expect(() => session.restoreKept(times[0], 'best')).toThrow(/are not kept in this project/);

    expect(await session.save(opened.project)).not.toBeNull();
    const onDisk = await readProjectFile(file);
    expect(onDisk.kept.map((k) => k.run)).toEqual([times[1], times[2]]);
    expect(onDisk.file.settings?.keepWeightSets).toBe(2);
    opened = (await session.open())!;
    expect(opened.kept).toHaveLength(2);
    expect(opened.weightsGraph).toBe(version);
    expect(bits(session.currentWeights['conv1.kernel']).equals(bits(sets[1]['conv1.kernel']))).toBe(true);
    await session.close();
  });

  it('keeps imported weights a run replaces as the weights it started from', async () => {
    const file = join(dir, 'imported.convas');
    const graph = cnn(4);
    const imported = weightsOf(graph, 21);
    await writeProjectFile(file, { graph, dataset: null, history: [] }, imported);
    const dialogs: Dialogs = {
      openFile: () => Promise.resolve(file),
      saveFile: () => Promise.resolve(file),
      pickFolder: () => Promise.resolve(null),
    };
    const services = createHostServices({
      dataDir: join(dir, 'data'),
      templatesDir: resolve('resources/templates'),
      appVersion: '0.0.0',
      runtime: 'test',
      autosaveMs: 60_000,
    });
    const session = new ProjectSession(services, dialogs);
    await session.open();
    const t = '2026-02-01T00:00:00.000Z';
    const trained = weightsOf(graph, 22);
    const version = graphVersion(graph);
    let opened = session.adoptTraining(trained, (c) => ({ ...c, history: [run(t)] }), {
      graphVersion: version,
      kept: [{ run: t, kind: 'best', epoch: 1, graphVersion: version, weights: trained }],
    });
    expect(opened.kept.map((k) => k.kind)).toEqual(['start', 'best']);
    opened = session.restoreKept(t, 'start');
    for (const [name, w] of Object.entries(imported)) {
      expect(bits(session.currentWeights[name]).equals(bits(w))).toBe(true);
    }
    // Weights a kept set already holds are not stored twice.
    const t2 = '2026-02-02T00:00:00.000Z';
    opened = session.adoptTraining(trained, (c) => ({ ...c, history: [...c.history, run(t2)] }), {
      graphVersion: version,
      kept: [{ run: t2, kind: 'best', epoch: 1, graphVersion: version, weights: trained }],
    });
    expect(opened.kept.map((k) => [k.run, k.kind])).toEqual([
      [t, 'start'],
      [t, 'best'],
      [t2, 'best'],
    ]);
    await session.close();
  });
});
