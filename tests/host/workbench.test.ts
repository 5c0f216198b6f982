import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dialogs } from '../../src/host/project/dialogs';
import { createHostServices } from '../../src/host/project/services';
import { ProjectSession } from '../../src/host/project/session';
import { checkEvent, dispatch, type Handlers } from '../../src/host/server/dispatch';
import { createHandlers } from '../../src/host/server/handlers';
import { sampleDatasetPath } from '../../src/host/datasets';
import { TrustedDatasets, Workbench } from '../../src/host/workbench';
import type { EventName, EventOf, RequestName, RequestOf, ResponseOf } from '../../src/shared/api';
import { DEFAULT_DATA_SETTINGS, DEFAULT_HYPERPARAMETERS, type Hyperparameters } from '../../src/shared/training';
import { chain } from '../helpers/graphs';
import { until } from '../helpers/until';

/**
 * The workbench through the Api's own dispatch (so every payload and answer is checked against its schema), on the
 * built-in sample with a real TrainingSession and a network small enough to train an epoch in well under a second.
 */
const SAMPLE_TRAIN = resolve('resources/sample/train');
const tiny = chain(
  ['input', 'input', { channels: 1, height: 28, width: 28 }],
  ['conv1', 'conv2d', { filters: 4, kernelH: 3, kernelW: 3, padding: 1 }],
  ['relu1', 'relu'],
  ['pool1', 'maxpool2d', { size: 2, stride: 2 }],
  ['flatten', 'flatten'],
  ['fc', 'dense', { units: 10 }],
  ['softmax', 'softmax'],
);
const hyper = (h: Partial<Hyperparameters> = {}): Hyperparameters => ({ ...DEFAULT_HYPERPARAMETERS, epochs: 1, ...h });

/** Dialogs that answer from a queue. */
class ScriptedDialogs implements Dialogs {
  answers: (string | null)[] = [];
  openFile = () => Promise.resolve(this.answers.shift() ?? null);
  saveFile = () => Promise.resolve(this.answers.shift() ?? null);
  pickFolder = () => Promise.resolve(this.answers.shift() ?? null);
}

type Event = { [E in EventName]: { event: E; payload: EventOf<E> } }[EventName];

let dir: string;
let dialogs: ScriptedDialogs;
let session: ProjectSession;
let handlers: Handlers;
let events: Event[];

async function call<K extends RequestName>(name: K, payload?: RequestOf<K>): Promise<ResponseOf<K>> {
  const r = await dispatch(handlers, name, payload);
  if (!r.ok) throw new Error(r.error.message);
  return r.value as ResponseOf<K>;
}
async function refused(name: RequestName, payload?: unknown): Promise<string> {
  const r = await dispatch(handlers, name, payload);
  if (r.ok) throw new Error(`${name} was not refused`);
  return r.error.message;
}
const ofKind = <E extends EventName>(e: E) => events.filter((x) => x.event === e).map((x) => x.payload as EventOf<E>);
function ended(): Promise<EventOf<'trainingEnded'>> {
  return until(() => ofKind('trainingEnded').at(-1), 'the run to end');
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'convas-workbench-'));
  const services = createHostServices({
    dataDir: join(dir, 'data'),
    templatesDir: resolve('resources/templates'),
    appVersion: '0.0.0',
    runtime: 'test',
    autosaveMs: 60_000,
  });
  dialogs = new ScriptedDialogs();
  session = new ProjectSession(services, dialogs);
  events = [];
  const emit = <E extends EventName>(event: E, payload: EventOf<E>) =>
    events.push({ event, payload: checkEvent(event, payload) } as Event);
  const workbench = new Workbench({ session, dialogs, emit, threads: 1, relayIntervalMs: 20, frameIntervalMs: 50 });
  handlers = createHandlers(services, session, undefined, workbench);
  await call('newProject', {});
});
afterAll(async () => {
  await session?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('datasets a window may read', () => {
  it('reports the built-in sample, asked for as null', async () => {
    const report = await call('datasetReport', { dataset: null, validationFraction: 0.2 });
    expect(report.source).toBe('sample');
    expect(report.classes).toHaveLength(10);
    expect(report.totals).toEqual({ train: 800, validation: 200, test: 200 });
    expect(report.errors).toEqual([]);
  });

  it('refuses a folder this window was never given, and accepts it once the folder dialog returned it', async () => {
    expect(await refused('datasetReport', { dataset: SAMPLE_TRAIN, validationFraction: 0.2 })).toMatch(
      /was not chosen in this window/,
    );
    dialogs.answers.push(SAMPLE_TRAIN);
    expect(await call('pickFolder', {})).toEqual({ path: SAMPLE_TRAIN });
    const report = await call('datasetReport', { dataset: SAMPLE_TRAIN, validationFraction: 0.2 });
    expect(report.source).toBe('folder');
    expect(report.classes.map((c) => c.counts.train + c.counts.validation)).toEqual(new Array(10).fill(100));
  });

  it('does not record a folder outside the browser mode’s root, and takes the sample by its path too', async () => {
    const trusted = new TrustedDatasets(async (p) => {
      if (!p.startsWith('/allowed/')) throw new Error(`'${p}' is outside the folder '/allowed'`);
    });
    expect(await trusted.add('/elsewhere/data')).toBe(false);
    expect(() => trusted.folderOf('/elsewhere/data')).toThrow(/was not chosen in this window/);
    expect(await trusted.add('/allowed/data/')).toBe(true);
    expect(trusted.folderOf('/allowed/data')).toBe('/allowed/data');
    expect(trusted.folderOf(null)).toBe(sampleDatasetPath());
    expect(trusted.folderOf(sampleDatasetPath())).toBe(sampleDatasetPath());
  });

  it('refuses a path that only looks like a chosen one', async () => {
    expect(await refused('datasetThumbnails', { dataset: `${SAMPLE_TRAIN}/../train2`, perClass: 1 })).toMatch(
      /was not chosen/,
    );
  });

  it('gives thumbnails per class and a grid of augmented samples', async () => {
    const t = await call('datasetThumbnails', { dataset: null, perClass: 2 });
    expect(t.classes.map((c) => c.images.length)).toEqual(new Array(10).fill(2));
    expect(t.classes[0].images[0].png).toMatch(/^data:image\/png;base64,/);
    const augment = { flip: true, shift: 0.1, rotate: 15, brightness: 0.2, contrast: 0.2 };
    const a = await call('augmentPreview', { dataset: null, augment, seed: 3 });
    expect({ rows: a.rows, columns: a.columns }).toEqual({ rows: 4, columns: 8 });
    // The same seed draws the same augmentations; another seed draws others.
    expect((await call('augmentPreview', { dataset: null, augment, seed: 3 })).png).toBe(a.png);
    expect((await call('augmentPreview', { dataset: null, augment, seed: 4 })).png).not.toBe(a.png);
  });
});

describe('training', () => {
  it('refuses a graph that does not compile, naming the node', async () => {
    const broken = chain(
      ['input', 'input', { channels: 1, height: 28, width: 28 }],
      ['conv1', 'conv2d', { filters: 4, kernelH: 40, kernelW: 40 }],
    );
    const message = await refused('startTraining', {
      graph: broken,
      dataset: null,
      data: DEFAULT_DATA_SETTINGS,
      hyper: hyper(),
    });
    expect(message).toMatch(/cannot train.*conv1/);
    expect((await call('trainingState')).phase).toBe('idle');
  });

  it('refuses hyperparameters out of range with the rule', async () => {
    const message = await refused('startTraining', {
      graph: tiny,
      dataset: null,
      data: DEFAULT_DATA_SETTINGS,
      hyper: hyper({ batchSize: 0 }),
    });
    expect(message).toMatch(/a whole number from 1 to 4,096\s+→ at hyper\.batchSize/);
  });

  it('trains an epoch, relays every step, and gives the project its weights and a history entry', async () => {
    events.length = 0;
    const started = await call('startTraining', {
      graph: tiny,
      dataset: null,
      data: DEFAULT_DATA_SETTINGS,
      hyper: hyper(),
    });
    expect(started.phase).toBe('running');
    await expect(
      call('startTraining', { graph: tiny, dataset: null, data: DEFAULT_DATA_SETTINGS, hyper: hyper() }),
    ).rejects.toThrow(/already going on/);
    const end = await ended();
    expect(end.end).toEqual({ status: 'finished', epochs: 1, reason: null });
    // 800 training images in batches of 32: 25 steps, each relayed exactly once and in order.
    const steps = ofKind('trainingProgress').flatMap((p) => p.points.map((s) => s.step));
    expect(steps).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    const epochs = ofKind('trainingProgress').flatMap((p) => p.epochs);
    expect(epochs.map((e) => e.epoch)).toEqual([1]);
    expect(end.run.settings).toMatchObject({ optimizer: 'sgd', learningRate: 0.05, data: 'built-in sample' });
    expect(end.run.settings['graphVersion']).toMatch(/^[0-9a-f]{12}$/);
    expect(end.project?.project.history).toHaveLength(1);
    expect(end.project?.project.dataset?.classes).toHaveLength(10);
    expect(end.project?.dirty).toBe(true);
    expect(end.project?.weights.map((w) => w.name)).toEqual(['conv1.bias', 'conv1.kernel', 'fc.bias', 'fc.kernel']);
    expect(Object.keys(session.currentWeights)).toHaveLength(4);
    const state = await call('trainingState');
    expect(state).toMatchObject({ phase: 'idle', runId: end.runId, end: end.end });
    expect(state.points).toHaveLength(25);
    expect(state.classes).toHaveLength(10);
  });

  it('shows the trained network: confusion matrix, its cells, the gallery', async () => {
    const c = await call('confusion');
    expect(c.matrix.flat().reduce((a, b) => a + b, 0)).toBe(200);
    expect(c.perClass.map((p) => p.total)).toEqual(new Array(10).fill(20));
    const diagonal = c.matrix.reduce((a, row, i) => a + row[i], 0);
    expect(c.accuracy).toBeCloseTo(diagonal / 200, 10);
    // The cell with the most mistakes lists exactly its images, least confident first.
    let cell = { actual: 0, predicted: 1, count: -1 };
    c.matrix.forEach((row, a) =>
      row.forEach((count, p) => {
        if (a !== p && count > cell.count) cell = { actual: a, predicted: p, count };
      }),
    );
    const images = await call('cellImages', { actual: cell.actual, predicted: cell.predicted, limit: 200 });
    expect(images.total).toBe(cell.count);
    expect(images.images.every((i) => i.label === cell.actual && i.predicted === cell.predicted)).toBe(true);
    const confidences = images.images.map((i) => i.confidence);
    expect(confidences).toEqual([...confidences].sort((a, b) => a - b));
    const page = await call('gallery', { sort: 'most-confident', offset: 0, limit: 10 });
    expect(page.total).toBe(200);
    expect(page.items[0].confidence).toBeGreaterThanOrEqual(page.items[9].confidence);
    expect(page.items[0].probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(await refused('cellImages', { actual: 10, predicted: 0, limit: 5 })).toMatch(/10 classes/);
  });

  it('looks inside a layer: feature maps, filters, histograms, one convolution step, saliency', async () => {
    const image = { kind: 'validation', index: 3 } as const;
    const maps = await call('featureMaps', { nodeId: 'conv1', image });
    expect(maps).toMatchObject({ shape: [4, 28, 28], columns: 2, rows: 2, tileWidth: 28, step: null });
    expect(maps.max).toBeGreaterThan(maps.min);
    const vector = await call('featureMaps', { nodeId: 'fc', image });
    expect(vector).toMatchObject({ shape: [10], columns: 4, rows: 3, tileWidth: 1, gap: 0 });
    const filters = await call('filters', { nodeId: 'conv1' });
    expect(filters).toMatchObject({ shape: [4, 1, 3, 3], rows: 2, columns: 2 });
    expect(await refused('filters', { nodeId: 'fc' })).toMatch(/'fc' \(Dense\) has no filters/);
    expect(await refused('featureMaps', { nodeId: 'conv9', image })).toMatch(/no node 'conv9'/);
    const h = await call('histograms', { nodeId: 'conv1' });
    expect(h.weights.map((w) => [w.name, w.histogram.total])).toEqual([
      ['kernel', 36],
      ['bias', 4],
    ]);
    expect(h.activations.total).toBe(32 * 4 * 28 * 28);
    expect(h.activations.counts.reduce((a, b) => a + b, 0)).toBe(h.activations.total);
    // At the corner, half the 3×3 window is padding; the worked sum is the network's own output there.
    const corner = await call('convolutionStep', { nodeId: 'conv1', image, filter: 2, y: 0, x: 0 });
    expect(corner.window.filter((v, i) => [0, 1, 2, 3, 6].includes(i) && v === 0)).toHaveLength(5);
    expect(corner.products).toEqual(corner.window.map((v, i) => v * corner.kernel[i]));
    expect(corner.output).toBeCloseTo(corner.networkOutput, 5);
    const middle = await call('convolutionStep', { nodeId: 'conv1', image, filter: 1, y: 14, x: 9 });
    expect(middle.output).toBeCloseTo(middle.sum + middle.bias, 10);
    expect(middle.output).toBeCloseTo(middle.networkOutput, 5);
    expect(await refused('convolutionStep', { nodeId: 'conv1', image, filter: 4, y: 0, x: 0 })).toMatch(
      /4 filters, numbered 0 to 3/,
    );
    const s = await call('saliency', { image });
    expect(s.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(s.classIndex).toBe(s.probabilities.indexOf(Math.max(...s.probabilities)));
    expect(s.overlayPng).toMatch(/^data:image\/png;base64,/);
  });

  it('classifies a dropped image, which the other views can then use, and refuses one that is not an image', async () => {
    const bytes = await readFile(join(SAMPLE_TRAIN, 'sneaker', (await firstFile('sneaker'))!));
    const p = await call('predictImage', { name: 'shoe.png', data: bytes.toString('base64') });
    expect(p.classes).toHaveLength(10);
    expect(p.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    const maps = await call('featureMaps', { nodeId: 'conv1', image: { kind: 'dropped' } });
    expect(maps.shape).toEqual([4, 28, 28]);
    const text = Buffer.from('hello, I am not a picture').toString('base64');
    expect(await refused('predictImage', { name: 'notes.png', data: text })).toMatch(/'notes.png' cannot be used/);
  });

  it('exports the trained weights through the save dialog, and does nothing when it is cancelled', async () => {
    const target = join(dir, 'model.onnx');
    dialogs.answers.push(target);
    expect(await call('exportModel', { formatId: 'onnx', graph: tiny })).toEqual({ paths: [target] });
    expect((await stat(target)).size).toBeGreaterThan(1000);
    // The class names the network was trained on travel in the file's metadata (docs/formats.md).
    expect((await readFile(target)).toString('latin1')).toContain('"ankle-boot","bag","coat"');
    dialogs.answers.push(null);
    expect(await call('exportModel', { formatId: 'tfjs', graph: tiny })).toBeNull();
    const folder = join(dir, 'tfjs-export');
    dialogs.answers.push(folder);
    const written = await call('exportModel', { formatId: 'tfjs', graph: tiny });
    expect(written?.paths.map((p) => p.slice(folder.length + 1)).sort()).toEqual(['model.json', 'weights.bin']);
    expect(await refused('exportModel', { formatId: 'gif', graph: tiny })).toMatch(/no export format 'gif'/);
    expect((await call('listExportFormats')).map((f) => f.id)).toEqual(['onnx', 'tfjs', 'safetensors', 'pytorch']);
  });

  it('pauses, resumes and stops; streams feature maps of the watched node at a throttled rate', async () => {
    events.length = 0;
    await call('watchFeatureMaps', { nodeId: 'conv1', image: { kind: 'validation', index: 0 } });
    await call('startTraining', {
      graph: tiny,
      dataset: null,
      data: DEFAULT_DATA_SETTINGS,
      hyper: hyper({ epochs: 50 }),
    });
    const count = () => ofKind('trainingProgress').reduce((a, p) => a + p.points.length, 0);
    await until(() => count() >= 10, 'ten steps');
    // The answer comes once the run is held between two steps, every step before it already relayed.
    const held = await call('pauseTraining');
    expect(held.phase).toBe('paused');
    const paused = count();
    expect(held.points.map((p) => p.step)).toEqual(Array.from({ length: paused }, (_, i) => i + 1));
    // Held: asking again changes nothing, and no step lands in between.
    expect((await call('pauseTraining')).points).toHaveLength(paused);
    expect(count()).toBe(paused);
    expect((await call('resumeTraining')).phase).toBe('running');
    await until(() => count() >= paused + 10, 'ten more steps');
    const frames = ofKind('featureMapFrame');
    expect(frames.length).toBeGreaterThan(0);
    expect(frames.every((f) => f.nodeId === 'conv1' && f.step !== null && f.shape.join() === '4,28,28')).toBe(true);
    expect((await call('stopTraining')).phase).toBe('stopping');
    const end = await ended();
    expect(end.end.status).toBe('stopped');
    expect(end.run.stopped).toMatch(/stopped by the user/);
    const steps = ofKind('trainingProgress').flatMap((p) => p.points.map((s) => s.step));
    expect(steps).toEqual(Array.from({ length: steps.length }, (_, i) => i + 1));
    await call('watchFeatureMaps', { nodeId: null, image: { kind: 'validation', index: 0 } });
  });

  it('stops a run that diverges and says where, keeping NaN as NaN', async () => {
    events.length = 0;
    const lenet = (await call('loadTemplate', { id: 'lenet5' })).graph;
    await call('startTraining', {
      graph: lenet,
      dataset: null,
      data: DEFAULT_DATA_SETTINGS,
      hyper: hyper({ learningRate: 10, optimizer: 'sgd' }),
    });
    const end = await ended();
    expect(end.end.status).toBe('diverged');
    // Caught when the loss stops being finite or passes 100 times its first value (divergence.ts).
    expect(end.end.reason).toMatch(
      /the loss became (NaN|Infinity|[\d.e+]+, more than 100 times the run's first \([\d.]+\)) at epoch 1, batch \d+ of 25/,
    );
    expect(end.run.stopped).toBe(end.end.reason);
    // No epoch finished: the project keeps the weights it had (the tiny network's), and the failed run is recorded.
    expect(end.project?.weights.map((w) => w.name)).toContain('fc.kernel');
    expect(end.project?.project.history.at(-1)?.settings['learningRate']).toBe(10);
    // The last finite weights can still be inspected: conv2's filters, one row per filter, one tile per channel.
    expect(await call('filters', { nodeId: 'conv2' })).toMatchObject({ shape: [16, 6, 5, 5], rows: 16, columns: 6 });
  });
});

describe('a dataset folder in the project file', () => {
  it('may be read once the project that names it was opened', async () => {
    const folder = join(dir, 'my-data');
    await mkdir(folder);
    await writeFile(join(folder, 'note.txt'), 'not an image');
    expect(await refused('datasetReport', { dataset: folder, validationFraction: 0.2 })).toMatch(/not chosen/);
    const file = join(dir, 'with-data.convas');
    dialogs.answers.push(file);
    await call('saveProjectAs', { project: contentWith(folder) });
    dialogs.answers.push(file);
    await call('openProject');
    const report = await call('datasetReport', { dataset: folder, validationFraction: 0.2 });
    expect(report.errors.join(' ')).toMatch(/class/);
  });
});

describe('a trained project opened from its file', () => {
  it('is inspected on its dataset once prepared; until then there is nothing to inspect', async () => {
    const file = join(dir, 'trained.convas');
    dialogs.answers.push(file);
    await call('saveProjectAs', { project: { graph: tiny, dataset: null, history: [] } });
    await call('newProject', {});
    dialogs.answers.push(file);
    const opened = await call('openProject');
    expect(opened?.weights.map((w) => w.name)).toContain('conv1.kernel');
    expect(await refused('confusion')).toMatch(/no trained network to inspect yet/);
    const state = await call('prepareInspection', { graph: tiny, dataset: null, data: DEFAULT_DATA_SETTINGS });
    expect(state.classes).toHaveLength(10);
    expect((await call('confusion')).matrix.flat().reduce((a, b) => a + b, 0)).toBe(200);
    const other = chain(
      ['input', 'input', { channels: 1, height: 28, width: 28 }],
      ['flatten', 'flatten'],
      ['out', 'dense', { units: 10 }],
    );
    expect(await refused('prepareInspection', { graph: other, dataset: null, data: DEFAULT_DATA_SETTINGS })).toMatch(
      /weights do not fit/,
    );
  });
});

function contentWith(folder: string) {
  return { graph: tiny, dataset: { path: folder }, history: [] };
}

async function firstFile(className: string): Promise<string | undefined> {
  return (await readdir(join(SAMPLE_TRAIN, className))).sort()[0];
}
