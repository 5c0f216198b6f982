import { mkdtemp, readdir, rm } from 'node:fs/promises';
import type { Worker } from 'node:worker_threads';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dialogs } from '../../src/host/project/dialogs';
import { createHostServices } from '../../src/host/project/services';
import { ProjectSession } from '../../src/host/project/session';
import { checkEvent, dispatch, type Handlers } from '../../src/host/server/dispatch';
import { createHandlers } from '../../src/host/server/handlers';
import { Workbench } from '../../src/host/workbench';
import type { EventName, EventOf, RequestName, RequestOf, ResponseOf } from '../../src/shared/api';
import type { Graph } from '../../src/shared/graph';
import { DEFAULT_DATA_SETTINGS, DEFAULT_HYPERPARAMETERS } from '../../src/shared/training';
import { chain } from '../helpers/graphs';
import { until } from '../helpers/until';

/**
 * RELIABILITY case 12 in the app: a run stopped (or failed) after an epoch leaves its checkpoint in the data folder,
 * its end says so, and `resumeFromCheckpoint` continues it with the same graph and settings. Real TrainingSessions
 * on the built-in sample, through the Api's own dispatch (every payload and answer checked against its schema).
 */
const net = (filters: number): Graph =>
  chain(
    ['input', 'input', { channels: 1, height: 28, width: 28 }],
    ['conv1', 'conv2d', { filters, kernelH: 3, kernelW: 3, padding: 1 }],
    ['relu1', 'relu'],
    ['pool1', 'maxpool2d', { size: 2, stride: 2 }],
    ['flatten', 'flatten'],
    ['fc', 'dense', { units: 10 }],
    ['softmax', 'softmax'],
  );
const tiny = net(4);
const EPOCHS = 3;
/** 800 training images of the sample in batches of 32. */
const STEPS_PER_EPOCH = 25;

class NoDialogs implements Dialogs {
  openFile = () => Promise.resolve(null);
  saveFile = () => Promise.resolve(null);
  pickFolder = () => Promise.resolve(null);
}

type Event = { [E in EventName]: { event: E; payload: EventOf<E> } }[EventName];

let dir: string;
let checkpointDir: string;
let session: ProjectSession;
let workbench: Workbench;
let handlers: Handlers;
let events: Event[];
/** Called on every progress batch: a test stops the run from here as soon as its first epoch has ended. */
let onProgress: (p: EventOf<'trainingProgress'>) => void = () => undefined;

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
function endedRun(runId: string): Promise<EventOf<'trainingEnded'>> {
  return until(() => ofKind('trainingEnded').find((x) => x.runId === runId), `run ${runId} to end`);
}
/** What an out-of-memory crash or a kill looks like from the host: the current run's worker thread ends. */
function killWorker(): void {
  const internals = workbench as unknown as {
    runs: { current: { run: { session: { pool: { workers: Worker[] } } } } };
  };
  void internals.runs.current.run.session.pool.workers[0].terminate();
}

/** Starts a run of `graph` and stops it (or kills its worker) as soon as the window hears its first epoch ended. */
async function stoppedAfterFirstEpoch(
  graph: Graph,
  end: () => void = () => workbench.stop(),
): Promise<EventOf<'trainingEnded'>> {
  onProgress = (p) => {
    if (p.epochs.some((e) => e.epoch === 1)) {
      onProgress = () => undefined;
      end();
    }
  };
  const started = await call('startTraining', {
    graph,
    dataset: null,
    data: DEFAULT_DATA_SETTINGS,
    hyper: { ...DEFAULT_HYPERPARAMETERS, epochs: EPOCHS },
  });
  return endedRun(started.runId!);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'convas-resume-'));
  checkpointDir = join(dir, 'data', 'checkpoints');
  const services = createHostServices({
    dataDir: join(dir, 'data'),
    templatesDir: resolve('resources/templates'),
    appVersion: '0.0.0',
    runtime: 'test',
    autosaveMs: 60_000,
  });
  const dialogs = new NoDialogs();
  session = new ProjectSession(services, dialogs);
  events = [];
  const emit = <E extends EventName>(event: E, payload: EventOf<E>) => {
    events.push({ event, payload: checkEvent(event, payload) } as Event);
    if (event === 'trainingProgress') onProgress(payload as EventOf<'trainingProgress'>);
  };
  workbench = new Workbench({ session, dialogs, emit, threads: 1, relayIntervalMs: 20, checkpointDir });
  handlers = createHandlers(services, session, undefined, workbench);
  await call('newProject', {});
});
afterAll(async () => {
  await workbench?.close();
  await session?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('resuming a stopped run from its checkpoint', () => {
  it('refuses to resume when no run has left a checkpoint', async () => {
    expect(await refused('resumeFromCheckpoint', { graph: tiny })).toMatch(/no stopped run with a checkpoint/);
  });

  it('stops after epoch 1, resumes, trains epochs 2 and 3, and keeps every epoch and step once', async () => {
    const stopped = await stoppedAfterFirstEpoch(tiny);
    expect(stopped.end).toMatchObject({ status: 'stopped', epochs: 1, resumeFrom: 1 });
    expect(stopped.run.epochs.map((e) => e.epoch)).toEqual([1]);
    expect(await readdir(checkpointDir)).toHaveLength(1);
    const before = await call('trainingState');
    expect(before.end?.resumeFrom).toBe(1);

    const resumed = await call('resumeFromCheckpoint', { graph: tiny });
    expect(resumed.runId).not.toBe(stopped.runId);
    expect(resumed.phase).toBe('running');
    // The first epoch is carried over, and only the steps its checkpoint holds.
    expect(resumed.epochs).toEqual(before.epochs.slice(0, 1));
    expect(resumed.points.map((p) => p.step)).toEqual(Array.from({ length: STEPS_PER_EPOCH }, (_, i) => i + 1));

    const done = await endedRun(resumed.runId!);
    expect(done.end.status).toBe('finished');
    expect(done.end.epochs).toBe(EPOCHS);
    expect(done.end.resumeFrom).toBeUndefined();
    const state = await call('trainingState');
    expect(state.epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(state.epochs[0]).toEqual(before.epochs[0]);
    expect(state.points.map((p) => p.step)).toEqual(Array.from({ length: EPOCHS * STEPS_PER_EPOCH }, (_, i) => i + 1));
    expect(state.end?.resumeFrom).toBeUndefined();

    // One record in the project's history for the run, started when the first part started, with every epoch once.
    const history = done.project!.project.history;
    expect(history.filter((h) => h.startedAt === stopped.run.startedAt)).toHaveLength(1);
    expect(history.at(-1)?.startedAt).toBe(stopped.run.startedAt);
    expect(history.at(-1)?.epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(history.at(-1)?.settings['status']).toBe('finished');
    // A finished run leaves no checkpoint behind, and has nothing left to resume.
    expect(await readdir(checkpointDir)).toEqual([]);
    expect(await refused('resumeFromCheckpoint', { graph: tiny })).toMatch(/no stopped run with a checkpoint/);
  });

  it('refuses to resume with a network that has changed since the run stopped', async () => {
    const stopped = await stoppedAfterFirstEpoch(tiny);
    expect(stopped.end.resumeFrom).toBe(1);
    expect(await refused('resumeFromCheckpoint', { graph: net(6) })).toMatch(
      /network has changed since this run stopped after epoch 1/,
    );
    // Refusing leaves the checkpoint in place: the unchanged network still resumes.
    expect((await call('trainingState')).end?.resumeFrom).toBe(1);
    expect(await readdir(checkpointDir)).toHaveLength(1);
  });

  it('resumes a run whose worker was killed, after saying why it failed', async () => {
    const failed = await stoppedAfterFirstEpoch(tiny, killWorker);
    expect(failed.end.status).toBe('failed');
    expect(failed.end.reason).toMatch(/worker/i);
    expect(failed.end.resumeFrom).toBe(1);
    const resumed = await call('resumeFromCheckpoint', { graph: tiny });
    const done = await endedRun(resumed.runId!);
    expect(done.end.status).toBe('finished');
    expect(done.run.epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(done.project!.project.history.filter((h) => h.startedAt === failed.run.startedAt)).toHaveLength(1);
  });

  it('forgets the checkpoint when a new run starts', async () => {
    await stoppedAfterFirstEpoch(tiny);
    const [old] = await readdir(checkpointDir);
    expect(old).toMatch(/\.checkpoint$/);
    const stopped = await stoppedAfterFirstEpoch(tiny);
    expect(stopped.end.resumeFrom).toBe(1);
    const files = await readdir(checkpointDir);
    expect(files).toHaveLength(1);
    expect(files[0]).not.toBe(old);
  });
});
