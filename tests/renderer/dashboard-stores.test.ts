// @vitest-environment happy-dom
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { moveNodes, remove } from '../../src/renderer/commands';
import { installCanvasLock } from '../../src/renderer/dashboard/canvas-lock';
import { Decimator } from '../../src/renderer/dashboard/charts/decimator';
import { LossSeries } from '../../src/renderer/dashboard/charts/loss-series';
import { epochLines } from '../../src/renderer/dashboard/train/epoch-data';
import { parseTyped, schemaOf } from '../../src/renderer/dashboard/train/hyper-fields';
import { useDatasetStore } from '../../src/renderer/stores/dataset';
import { useProjectStore } from '../../src/renderer/stores/project';
import { useTrainingStore } from '../../src/renderer/stores/training';
import {
  REQUEST_NAMES,
  type Api,
  type EventName,
  type EventOf,
  type OpenedProject,
  type RequestName,
} from '../../src/shared/api';
import type { TrainingRun } from '../../src/shared/project';
import { DEFAULT_HYPERPARAMETERS, type TrainingState } from '../../src/shared/training';
import { freshStores, template } from './setup';

/**
 * The Train and Data stores against a scripted Api (the page's only way to the host), and the pure pieces under
 * the charts: the decimator, the loss series with its smoothing, the epoch lines, typed-number parsing, and the
 * lock that keeps the network's structure fixed while it trains.
 */

/** An Api whose answers each test scripts, recording every call; events are sent with `emit`. */
const fake = {
  calls: [] as { name: RequestName; payload: unknown }[],
  answers: {} as Partial<Record<RequestName, (payload: never) => unknown>>,
  listeners: new Map<EventName, Set<(payload: unknown) => void>>(),
  emit<E extends EventName>(event: E, payload: EventOf<E>) {
    for (const l of this.listeners.get(event) ?? []) l(payload);
  },
};
beforeAll(() => {
  const api: Record<string, unknown> = {};
  for (const name of REQUEST_NAMES) {
    api[name] = async (payload: unknown) => {
      fake.calls.push({ name, payload });
      const answer = fake.answers[name] as ((p: unknown) => unknown) | undefined;
      if (!answer) throw new Error(`the test gave no answer for ${name}`);
      return answer(payload);
    };
  }
  api['on'] = (event: EventName, listener: (payload: unknown) => void) => {
    const set = fake.listeners.get(event) ?? new Set();
    set.add(listener);
    fake.listeners.set(event, set);
    return () => set.delete(listener);
  };
  window.convas = api as unknown as Api;
});
beforeEach(() => {
  fake.calls = [];
  fake.answers = {};
  fake.listeners.clear();
});

const idle: TrainingState = {
  phase: 'idle',
  runId: null,
  modelGraph: null,
  hyper: null,
  status: null,
  points: [],
  epochs: [],
  end: null,
  classes: null,
};
const step = (s: number, loss: number) => ({ step: s, epoch: 1, loss });
const flush = () => new Promise((r) => setTimeout(r, 0));

describe('the training store', () => {
  it('checks each typed hyperparameter with the host’s own rule, and has no hyperparameters while one is bad', () => {
    freshStores(template('lenet5'));
    const t = useTrainingStore();
    expect(t.hyper).toEqual(DEFAULT_HYPERPARAMETERS);
    t.typed = { ...t.typed, batchSize: '0', learningRate: '1e-3', epochs: '2.5' };
    expect(t.fieldErrors.batchSize).toBe('a whole number from 1 to 4,096');
    expect(t.fieldErrors.epochs).toBe('a whole number from 1 to 10,000');
    expect(t.fieldErrors.learningRate).toBeNull();
    expect(t.hyper).toBeNull();
    t.typed = { ...t.typed, batchSize: '64', epochs: '3' };
    expect(t.hyper).toMatchObject({ batchSize: 64, epochs: 3, learningRate: 0.001 });
  });

  it('starts a run with the canvas’s graph and the data settings, then follows its progress events', async () => {
    const s = freshStores(template('lenet5'));
    const t = useTrainingStore();
    fake.answers.trainingState = () => idle;
    await t.init();
    fake.answers.startTraining = () => ({ ...idle, phase: 'running', runId: 'r1', points: [step(1, 2.3)] });
    await t.start();
    const sent = fake.calls.find((c) => c.name === 'startTraining')!.payload as Record<string, unknown>;
    expect(sent['graph']).toEqual(s.graph.graph);
    expect(sent['dataset']).toBeNull();
    expect(sent['hyper']).toEqual(DEFAULT_HYPERPARAMETERS);
    expect(sent['data']).toMatchObject({ validationFraction: 0.2, resize: 'stretch' });
    expect(t.phase).toBe('running');
    expect(t.busy).toBe(true);
    // A relayed batch may repeat what the snapshot had: each step is drawn once, in order.
    fake.emit('trainingProgress', {
      runId: 'r1',
      points: [step(1, 2.3), step(2, 2.1), step(3, 1.9)],
      epochs: [],
      status: null,
    });
    fake.emit('trainingProgress', { runId: 'other', points: [step(9, 9)], epochs: [], status: null });
    expect(t.series.length).toBe(3);
    expect(t.pointCount).toBe(3);
    expect(t.series.first).toBe(2.3);
    expect(t.series.last).toBe(1.9);
  });

  it('while the host opens a run, keeps what it says it is doing, and forgets it once the run has started', async () => {
    freshStores(template('lenet5'));
    const t = useTrainingStore();
    fake.answers.trainingState = () => idle;
    await t.init();
    // Not starting: a stray report is not shown.
    fake.emit('trainingStarting', { stage: 'scanning', done: 1, total: 10 });
    expect(t.starting).toBeNull();
    let answer!: (s: TrainingState) => void;
    fake.answers.startTraining = () => new Promise<TrainingState>((r) => (answer = r));
    const started = t.start();
    await flush();
    expect(t.phase).toBe('starting');
    fake.emit('trainingStarting', { stage: 'scanning', done: 5, total: 10 });
    expect(t.starting).toEqual({ stage: 'scanning', done: 5, total: 10 });
    answer({ ...idle, phase: 'running', runId: 'r9' });
    await started;
    expect(t.phase).toBe('running');
    expect(t.starting).toBeNull();
  });

  it('records a finished run in the project: history, weights, unsaved; the network becomes inspectable', async () => {
    freshStores(template('lenet5'));
    const t = useTrainingStore();
    const project = useProjectStore();
    fake.answers.trainingState = () => idle;
    await t.init();
    fake.answers.startTraining = () => ({ ...idle, phase: 'running', runId: 'r2' });
    await t.start();
    const version = t.modelVersion;
    const run: TrainingRun = { startedAt: new Date().toISOString(), settings: { optimizer: 'sgd' }, epochs: [] };
    const opened: OpenedProject = {
      path: null,
      name: 'LeNet-5',
      project: { graph: template('lenet5'), dataset: { path: '/sample', classes: ['a', 'b'] }, history: [run] },
      weights: [{ name: 'conv1.kernel', shape: [6, 1, 5, 5] }],
      weightsGraph: null,
      kept: [],
      weightsFrom: null,
      dirty: true,
    };
    fake.answers.trainingState = () => ({
      ...idle,
      runId: 'r2',
      classes: ['a', 'b'],
      end: { status: 'finished', epochs: 1, reason: null },
    });
    fake.emit('trainingEnded', {
      runId: 'r2',
      end: { status: 'finished', epochs: 1, reason: null },
      run,
      project: opened,
    });
    await flush();
    await flush();
    expect(project.history).toEqual([run]);
    expect(project.weights).toEqual(opened.weights);
    expect(project.dirty).toBe(true);
    expect(t.phase).toBe('idle');
    expect(t.end).toEqual({ status: 'finished', epochs: 1, reason: null });
    expect(t.classes).toEqual(['a', 'b']);
    expect(t.modelVersion).toBeGreaterThan(version);
  });

  it('says why the host refused to start, and is idle again', async () => {
    freshStores(template('lenet5'));
    const t = useTrainingStore();
    fake.answers.startTraining = () => {
      throw new Error("the network cannot train: node 'conv1' (Conv2D): the 40-pixel window is larger");
    };
    await t.start();
    expect(t.phase).toBe('idle');
    expect(t.error).toMatch(/node 'conv1'/);
  });

  it('will not start while a data setting is invalid', async () => {
    freshStores(template('lenet5'));
    const t = useTrainingStore();
    const d = useDatasetStore();
    d.typed = { ...d.typed, validationFraction: '0.9' };
    expect(d.fieldErrors.validationFraction).toBe('a number from 0.05 to 0.5');
    expect(d.settings).toBeNull();
    await t.start();
    expect(fake.calls.some((c) => c.name === 'startTraining')).toBe(false);
    expect(t.error).toMatch(/data settings are not valid/);
  });
});

describe('the dataset store', () => {
  it('uses a folder the folder dialog returned, and asks for its report and thumbnails by that path', async () => {
    freshStores(template('lenet5'));
    const d = useDatasetStore();
    expect(d.choice).toBeNull();
    fake.answers.pickFolder = () => ({ path: '/data/cats-and-dogs' });
    fake.answers.datasetReport = () => ({ root: '/data/cats-and-dogs', source: 'folder', errors: [] });
    fake.answers.datasetThumbnails = () => ({ classes: [] });
    await d.chooseFolder();
    expect(d.choice).toBe('/data/cats-and-dogs');
    expect(fake.calls.find((c) => c.name === 'datasetReport')!.payload).toEqual({
      dataset: '/data/cats-and-dogs',
      validationFraction: 0.2,
    });
    expect(d.label).toBe('/data/cats-and-dogs');
  });

  it('keeps the choice when the dialog is cancelled, and shows the host’s error', async () => {
    freshStores(template('lenet5'));
    const d = useDatasetStore();
    fake.answers.pickFolder = () => null;
    await d.chooseFolder();
    expect(d.choice).toBeNull();
    fake.answers.datasetReport = () => {
      throw new Error("'/x' was not chosen in this window");
    };
    fake.answers.datasetThumbnails = () => ({ classes: [] });
    d.select('/x');
    await d.load();
    expect(d.error).toMatch(/not chosen/);
    expect(d.report).toBeNull();
  });
});

describe('the loss series and its decimation', () => {
  it('keeps every point, draws at most two per bucket, and keeps the extremes', () => {
    const s = new LossSeries(0.9, 1024);
    let min = Infinity;
    let max = -Infinity;
    for (let i = 1; i <= 100_000; i++) {
      const loss = 2 * Math.exp(-i / 20_000) + 0.3 * Math.sin(i * 1.7);
      min = Math.min(min, loss);
      max = Math.max(max, loss);
      s.add(i, loss);
    }
    expect(s.length).toBe(100_000);
    const [x, y, smooth] = s.display();
    expect(x.length).toBeLessThanOrEqual(2 * 1024);
    expect(x.length).toBeGreaterThan(1024);
    expect(x.every((v, i) => i === 0 || v > x[i - 1])).toBe(true);
    expect(Math.min(...y)).toBe(min);
    expect(Math.max(...y)).toBe(max);
    expect(smooth).toHaveLength(x.length);
  });

  it('smooths with a debiased moving average: the first smoothed value is the first loss', () => {
    const s = new LossSeries(0.9);
    s.add(1, 2);
    expect(s.lastSmoothed).toBeCloseTo(2, 12);
    s.add(2, 1);
    // (0.9·0.1·2 + 0.1·1) / (1 − 0.81)
    expect(s.lastSmoothed).toBeCloseTo((0.18 + 0.1) / 0.19, 12);
    s.setSmoothing(0);
    expect(s.lastSmoothed).toBe(1);
    s.add(3, Number.NaN);
    expect(s.length).toBe(2);
  });

  it('merges buckets pairwise as they fill', () => {
    const d = new Decimator(4);
    for (let i = 0; i < 9; i++) d.add(i, i % 3, 0);
    const { x } = d.points();
    expect(x[0]).toBe(0);
    expect(x[x.length - 1]).toBeLessThanOrEqual(8);
    expect(d.count).toBe(9);
    expect(() => new Decimator(1)).toThrow(/at least 2 buckets/);
  });
});

describe('typed numbers and epoch lines', () => {
  it('reads only plain decimal notation', () => {
    const lr = schemaOf('learningRate');
    expect(parseTyped(' 0.05 ', lr)).toEqual({ value: 0.05 });
    expect(parseTyped('1e-3', lr)).toEqual({ value: 0.001 });
    expect(parseTyped('', lr)).toEqual({ error: 'required' });
    expect(parseTyped('0x10', lr)).toEqual({ error: 'not a number' });
    expect(parseTyped('0', lr)).toEqual({ error: 'a number above 0 and at most 1000' });
    expect(parseTyped('10', lr)).toEqual({ value: 10 });
  });

  it('aligns runs on epochs, with gaps for missing epochs and NaN', () => {
    const { x, lines } = epochLines(
      [
        { label: 'now', epochs: [{ epoch: 1, step: 25, loss: 1.5, valLoss: 'NaN' }], earlier: false },
        {
          label: 'before',
          epochs: [
            { epoch: 1, step: 25, loss: 2, valLoss: 1.9 },
            { epoch: 3, step: 75, loss: 1, valLoss: 1.2 },
          ],
          earlier: true,
        },
      ],
      'loss',
    );
    expect(x).toEqual([1, 2, 3]);
    expect(lines.map((l) => [l.label, l.values])).toEqual([
      ['now training', [1.5, null, null]],
      ['now validation', [null, null, null]],
      ['before validation', [1.9, null, 1.2]],
    ]);
  });
});

describe('the canvas lock during a run', () => {
  it('puts back a structural edit, its history and the selection, and says why; moves stay allowed', () => {
    const s = freshStores(template('lenet5'));
    let locked = true;
    let refusals = 0;
    const before = s.graph.graph;
    s.selection.set({ nodes: ['conv1'], edges: [] });
    const undoDepth = s.history.past.length;
    const stop = installCanvasLock(
      s.graph,
      s.history,
      s.selection,
      () => locked,
      () => refusals++,
    );
    s.graph.run(remove, { nodes: ['conv1'], edges: [] });
    expect(s.graph.graph).toBe(before);
    expect(s.history.past.length).toBe(undoDepth);
    expect(s.history.future).toEqual([]);
    expect(s.selection.current.nodes).toEqual(['conv1']);
    expect(refusals).toBe(1);
    // Moving changes no shape: allowed, and undoable.
    s.graph.run(moveNodes, { positions: { conv1: { x: 300, y: 300 } } });
    expect(s.graph.graph.nodes.find((n) => n.id === 'conv1')!.position).toEqual({ x: 300, y: 300 });
    expect(refusals).toBe(1);
    // Undoing the move is allowed too (the snapshot it restores is a new object with the same structure).
    expect(s.graph.undo()).toBe(true);
    expect(s.graph.graph.nodes.find((n) => n.id === 'conv1')!.position).toEqual(before.nodes[1].position);
    expect(refusals).toBe(1);
    locked = false;
    s.graph.run(remove, { nodes: ['conv1'], edges: [] });
    expect(s.graph.graph.nodes.some((n) => n.id === 'conv1')).toBe(false);
    stop();
  });

  it('refuses an undo that would change the structure back to before the run', () => {
    const s = freshStores(template('lenet5'));
    s.graph.run(remove, { nodes: ['relu1'], edges: [] });
    const trained = s.graph.graph;
    let refusals = 0;
    const stop = installCanvasLock(
      s.graph,
      s.history,
      s.selection,
      () => true,
      () => refusals++,
    );
    s.graph.undo();
    expect(s.graph.graph).toBe(trained);
    expect(s.history.past.length).toBe(1);
    expect(refusals).toBe(1);
    stop();
  });
});
