import { access, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileGraph, tensor, type Tensor } from '../../src/engine';
import type { Dialogs } from '../../src/host/project/dialogs';
import { createHostServices } from '../../src/host/project/services';
import { ProjectSession } from '../../src/host/project/session';
import { checkEvent } from '../../src/host/server/dispatch';
import { Workbench } from '../../src/host/workbench';
import { Checkpoints } from '../../src/host/workbench/checkpoints';
import type { InspectModel } from '../../src/host/workbench/model';
import { ScoreCache } from '../../src/host/workbench/score-cache';
import type { EventName, EventOf } from '../../src/shared/api';
import { DEFAULT_DATA_SETTINGS, DEFAULT_HYPERPARAMETERS } from '../../src/shared/training';
import { chain } from '../helpers/graphs';
import { until } from '../helpers/until';

/**
 * The rules the parts of Workbench keep between them that no other test pins down: scores are reused while the
 * weights are the same, the one checkpoint file is handed on or removed, and a run that is still opening when
 * the window closes or the project changes is stopped (and recorded) rather than left training.
 */
const graph = chain(
  ['input', 'input', { channels: 1, height: 28, width: 28 }],
  ['conv1', 'conv2d', { filters: 4, kernelH: 3, kernelW: 3, padding: 1 }],
  ['relu1', 'relu'],
  ['pool1', 'maxpool2d', { size: 2, stride: 2 }],
  ['flatten', 'flatten'],
  ['fc', 'dense', { units: 10 }],
  ['softmax', 'softmax'],
);

/** A network of 2 inputs and 3 classes whose predictions are counted, at a training step the test sets. */
function countingModel(): InspectModel & { predictions: number; at: number | null } {
  const compiled = compileGraph(
    chain(
      ['input', 'input', { channels: 1, height: 1, width: 2 }],
      ['flatten', 'flatten'],
      ['fc', 'dense', { units: 3 }],
      ['softmax', 'softmax'],
    ),
  );
  const x = tensor([2, 1, 1, 2], new Float32Array([0, 1, 1, 0]));
  const model = {
    graph: compiled,
    classes: ['a', 'b', 'c'],
    validation: { x, labels: new Int32Array([0, 2]), files: ['one.png', 'two.png'] },
    predictions: 0,
    at: null as number | null,
    step: () => model.at,
    predict: (batch: Tensor) => {
      model.predictions++;
      const n = batch.shape[0];
      return Promise.resolve(tensor([n, 3], new Float32Array(n * 3).fill(1 / 3)));
    },
    activations: () => Promise.reject(new Error('not used')),
    weights: () => Promise.reject(new Error('not used')),
    network: () => Promise.reject(new Error('not used')),
  };
  return model as unknown as InspectModel & { predictions: number; at: number | null };
}

describe('ScoreCache', () => {
  it('scores again only when the network or its training step changes, or after clear', async () => {
    const cache = new ScoreCache();
    const model = countingModel();
    const first = await cache.of(model);
    expect(await cache.of(model)).toBe(first);
    expect(model.predictions).toBe(1);
    // A live run's network: the same object with new weights at the next step.
    model.at = 7;
    await cache.of(model);
    await cache.of(model);
    expect(model.predictions).toBe(2);
    const other = countingModel();
    await cache.of(other);
    expect(other.predictions).toBe(1);
    cache.clear();
    await cache.of(other);
    expect(other.predictions).toBe(2);
  });
});

describe('Checkpoints', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'convas-checkpoints-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  const exists = (path: string) =>
    access(path).then(
      () => true,
      () => false,
    );
  const stopped = { status: 'stopped' as const, epochs: 2, reason: null };

  it('keeps one file: handed to a resumed run, replaced by a new run’s, removed when forgotten', async () => {
    const checkpoints = new Checkpoints(join(dir, 'checkpoints'));
    const first = (await checkpoints.fresh())!;
    expect(first.startsWith(join(dir, 'checkpoints'))).toBe(true);
    await writeFile(first, 'epoch 2');
    checkpoints.keep(first, 2);
    expect(checkpoints.endWith(stopped)).toEqual({ ...stopped, resumeFrom: 2 });
    // A resumed run writes on to the same file: it stays, but is no longer the ended run's to offer.
    checkpoints.handOver();
    expect(checkpoints.last).toBeNull();
    expect(await exists(first)).toBe(true);
    expect(checkpoints.endWith({ ...stopped, resumeFrom: 2 })).toEqual(stopped);
    checkpoints.keep(first, 2);
    const second = (await checkpoints.fresh())!;
    expect(second).not.toBe(first);
    expect(await exists(first)).toBe(false);
    await writeFile(second, 'epoch 1');
    checkpoints.keep(second, 1);
    await checkpoints.forget();
    expect(await exists(second)).toBe(false);
    expect(checkpoints.last).toBeNull();
  });

  it('gives no file without a folder', async () => {
    expect(await new Checkpoints(undefined).fresh()).toBeUndefined();
  });
});

class NoDialogs implements Dialogs {
  openFile = () => Promise.resolve(null);
  saveFile = () => Promise.resolve(null);
  pickFolder = () => Promise.resolve(null);
}

describe('a run still opening', () => {
  type Event = { [E in EventName]: { event: E; payload: EventOf<E> } }[EventName];
  let dir: string;
  let session: ProjectSession;
  let events: Event[];
  const workbenches: Workbench[] = [];
  const ended = () =>
    events.filter((e) => e.event === 'trainingEnded').map((e) => e.payload as EventOf<'trainingEnded'>);
  const request = {
    graph,
    dataset: null,
    data: DEFAULT_DATA_SETTINGS,
    hyper: { ...DEFAULT_HYPERPARAMETERS, epochs: 2 },
    start: 'scratch' as const,
  };

  function workbench(checkpointDir?: string): Workbench {
    const emit = <E extends EventName>(event: E, payload: EventOf<E>) => {
      events.push({ event, payload: checkEvent(event, payload) } as Event);
    };
    const wb = new Workbench({
      session,
      dialogs: new NoDialogs(),
      emit,
      threads: 1,
      relayIntervalMs: 20,
      ...(checkpointDir ? { checkpointDir } : {}),
    });
    workbenches.push(wb);
    return wb;
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'convas-parts-'));
    const services = createHostServices({
      dataDir: join(dir, 'data'),
      templatesDir: resolve('resources/templates'),
      appVersion: '0.0.0',
      runtime: 'test',
      autosaveMs: 60_000,
    });
    session = new ProjectSession(services, new NoDialogs());
    await session.newProject();
    events = [];
  });
  afterAll(async () => {
    for (const wb of workbenches) await wb.close();
    await session?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is stopped as soon as it is open when the window closed meanwhile', async () => {
    const wb = workbench();
    const before = ended().length;
    const started = wb.startTraining(request);
    await wb.close();
    const state = await started;
    const end = await until(() => ended().find((e) => e.runId === state.runId), 'the run to end');
    expect(end.end.status).toBe('stopped');
    expect(end.end.epochs).toBe(0);
    expect(ended().length).toBe(before + 1);
  });

  it('is waited for, stopped and recorded before another project replaces this one', async () => {
    const wb = workbench();
    const started = wb.startTraining(request);
    // Once the microtasks have run the run is opening: the dataset scan and the workers take far longer than that.
    await new Promise((r) => setImmediate(r));
    expect(wb.state().phase).toBe('starting');
    const before = ended().length;
    await wb.beforeProjectChange();
    // Its end reached the window (and the project) before the project change goes on.
    expect(ended().length).toBe(before + 1);
    const state = await started;
    const end = ended().at(-1)!;
    expect(end.runId).toBe(state.runId);
    expect(end.end.status).toBe('stopped');
    expect(wb.state()).toMatchObject({ phase: 'idle', runId: null, end: null });
  });

  it('leaves no checkpoint to resume once another project replaces this one', async () => {
    const checkpointDir = join(dir, 'checkpoints');
    const wb = workbench(checkpointDir);
    const started = await wb.startTraining(request);
    await until(() => wb.state().epochs.length >= 1, 'the first epoch to end');
    wb.stop();
    const end = await until(() => ended().find((e) => e.runId === started.runId), 'the run to end');
    expect(end.end.resumeFrom).toBe(1);
    expect(await readdir(checkpointDir)).toHaveLength(1);
    await wb.beforeProjectChange();
    expect(await readdir(checkpointDir)).toHaveLength(0);
    await expect(wb.resumeFromCheckpoint({ graph })).rejects.toThrow(/no stopped run with a checkpoint/);
  });
});
