import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dialogs } from '../../src/host/project/dialogs';
import { createHostServices } from '../../src/host/project/services';
import { ProjectSession } from '../../src/host/project/session';
import { checkEvent, dispatch, type Emit, type Handlers } from '../../src/host/server/dispatch';
import { createHandlers } from '../../src/host/server/handlers';
import { Workbench } from '../../src/host/workbench';
import type { EventOf, RequestName, RequestOf, ResponseOf } from '../../src/shared/api';
import type { Graph } from '../../src/shared/graph';
import { graphVersion } from '../../src/shared/graph-version';
import { DEFAULT_DATA_SETTINGS, DEFAULT_HYPERPARAMETERS, type Hyperparameters } from '../../src/shared/training';
import { chain } from '../helpers/graphs';

/**
 * Continue and from scratch through the Api's own dispatch, on the built-in sample with a network small enough to
 * train an epoch in well under a second: the run records how it started, its weights are kept, an edited network
 * continues with the layers that still fit, export refuses weights that do not fit before any dialog, any kept set
 * can be restored, and another project starts with no run on show.
 */
const net = (kernel: number): Graph =>
  chain(
    ['input', 'input', { channels: 1, height: 28, width: 28 }],
    ['conv1', 'conv2d', { filters: 4, kernelH: kernel, kernelW: kernel, padding: (kernel - 1) / 2 }],
    ['relu1', 'relu'],
    ['pool1', 'maxpool2d', { size: 2, stride: 2 }],
    ['flatten', 'flatten'],
    ['fc', 'dense', { units: 10 }],
    ['softmax', 'softmax'],
  );
const hyper = (h: Partial<Hyperparameters> = {}): Hyperparameters => ({ ...DEFAULT_HYPERPARAMETERS, epochs: 1, ...h });

/** Dialogs that count what they were asked: none may open for a refused export. */
const asked: string[] = [];
const dialogs: Dialogs = {
  openFile: () => (asked.push('open'), Promise.resolve(null)),
  saveFile: () => (asked.push('save'), Promise.resolve(null)),
  pickFolder: () => (asked.push('folder'), Promise.resolve(null)),
};

let dir: string;
let session: ProjectSession;
let handlers: Handlers;
/** Resolves with the next trainingEnded event. */
let nextEnd: Promise<EventOf<'trainingEnded'>>;
let endNow: (e: EventOf<'trainingEnded'>) => void = () => undefined;
const armEnd = () => (nextEnd = new Promise((r) => (endNow = r)));

async function call<K extends RequestName>(name: K, payload?: RequestOf<K>): Promise<ResponseOf<K>> {
  const r = await dispatch(handlers, name, payload);
  if (!r.ok) throw new Error(r.error.message);
  return r.value as ResponseOf<K>;
}
async function train(graph: Graph, start: 'scratch' | 'continue', h: Partial<Hyperparameters> = {}) {
  armEnd();
  await call('startTraining', { graph, dataset: null, data: DEFAULT_DATA_SETTINGS, hyper: hyper(h), start });
  return nextEnd;
}
const bits = (t: { data: Float32Array }) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'convas-continue-'));
  const services = createHostServices({
    dataDir: join(dir, 'data'),
    templatesDir: resolve('resources/templates'),
    appVersion: '0.0.0',
    runtime: 'test',
    autosaveMs: 60_000,
  });
  session = new ProjectSession(services, dialogs);
  const emit: Emit = (event, payload) => {
    checkEvent(event, payload);
    if (event === 'trainingEnded') endNow(payload as EventOf<'trainingEnded'>);
  };
  const workbench = new Workbench({ session, dialogs, emit, threads: 1, relayIntervalMs: 20, frameIntervalMs: 50 });
  handlers = createHandlers(services, session, undefined, workbench);
  const opened = await call('newProject', {});
  await call('projectChanged', { project: { ...opened.project, graph: net(3) } });
});
afterAll(async () => {
  await session?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a second run', () => {
  let firstRun = '';

  it('refuses to continue while there are no weights', async () => {
    const r = await dispatch(handlers, 'startTraining', {
      graph: net(3),
      dataset: null,
      data: DEFAULT_DATA_SETTINGS,
      hyper: hyper(),
      start: 'continue',
    });
    expect(r.ok ? null : r.error.message).toBe(
      'there are no trained weights to continue from; train from scratch first',
    );
  });

  it('from scratch: recorded as such, its best weights kept and current', async () => {
    const e = await train(net(3), 'scratch');
    expect(e.run.settings['start']).toBe('scratch');
    firstRun = e.run.startedAt;
    expect(e.project?.kept.map((k) => [k.run, k.kind])).toEqual([[firstRun, 'best']]);
    expect(e.project?.weightsFrom).toEqual({ run: firstRun, kind: 'best' });
    expect(e.project?.weightsGraph).toBe(graphVersion(net(3)));
  });

  it('continues an edited network: the layers that fit start from the weights, the others anew', async () => {
    const before = session.currentWeights;
    const edited = net(5);
    // Export is refused with the reason before any dialog opens.
    const r = await dispatch(handlers, 'exportModel', { formatId: 'onnx', graph: edited });
    expect(r.ok ? null : r.error.message).toMatch(
      /^the trained weights do not fit the network on the canvas: conv1: its trained kernel is \[4×1×3×3\], the layer now needs \[4×1×5×5\]/,
    );
    expect(asked).toEqual([]);
    // A learning rate too small to move a float32 weight: fc comes through the run as it was, conv1 is new.
    const e = await train(edited, 'continue', { learningRate: 1e-30 });
    expect(e.run.settings['start']).toBe('continue');
    const after = session.currentWeights;
    expect(after['conv1.kernel'].shape).toEqual([4, 1, 5, 5]);
    for (const name of ['fc.kernel', 'fc.bias']) expect(bits(after[name]).equals(bits(before[name]))).toBe(true);
    expect(e.project?.weightsGraph).toBe(graphVersion(edited));
    expect(e.project?.kept.map((k) => k.run)).toEqual([firstRun, e.run.startedAt]);
  });

  it("restores the first run's weights, bit for bit", async () => {
    const kept = session.weightsExtra.kept.find((k) => k.run === firstRun)!;
    const opened = await call('restoreWeights', { run: firstRun, kind: 'best' });
    expect(opened.weightsFrom).toEqual({ run: firstRun, kind: 'best' });
    expect(opened.weightsGraph).toBe(graphVersion(net(3)));
    for (const [name, t] of Object.entries(kept.weights)) {
      expect(bits(session.currentWeights[name]).equals(bits(t))).toBe(true);
    }
    // Nothing to inspect until the window prepares it again.
    expect((await call('trainingState')).classes).toBeNull();
  });

  it('another project shows no run: the last one was the other project’s', async () => {
    expect((await call('trainingState')).runId).not.toBeNull();
    await call('newProject', {});
    const s = await call('trainingState');
    expect(s.runId).toBeNull();
    expect(s.epochs).toEqual([]);
    expect(s.end).toBeNull();
  });
});
