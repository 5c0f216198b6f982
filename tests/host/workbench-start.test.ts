import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tensor } from '../../src/engine';
import { encodePng } from '../../src/host/datasets';
import type { Dialogs } from '../../src/host/project/dialogs';
import { createHostServices } from '../../src/host/project/services';
import { ProjectSession } from '../../src/host/project/session';
import { checkEvent, dispatch, type Handlers } from '../../src/host/server/dispatch';
import { createHandlers } from '../../src/host/server/handlers';
import { Workbench } from '../../src/host/workbench';
import type { EventName, EventOf, RequestName, RequestOf, ResponseOf } from '../../src/shared/api';
import { DEFAULT_DATA_SETTINGS, DEFAULT_HYPERPARAMETERS } from '../../src/shared/training';
import { chain } from '../helpers/graphs';
import { until } from '../helpers/until';

/**
 * How a run starts, through the Api: progress while the folder is read and the workers start, the folder read
 * once per window, and its images decoded once (the next run decodes none: it trains with the files gone).
 */
const graph = chain(
  ['input', 'input', { channels: 1, height: 8, width: 8 }],
  ['flatten', 'flatten'],
  ['fc', 'dense', { units: 2 }],
);
const PER_CLASS = 12;

type Event = { [E in EventName]: { event: E; payload: EventOf<E> } }[EventName];
let dir: string;
let folder: string;
let session: ProjectSession;
let handlers: Handlers;
const events: Event[] = [];
const dialogs: Dialogs = {
  openFile: () => Promise.resolve(null),
  saveFile: () => Promise.resolve(null),
  pickFolder: () => Promise.resolve(folder),
};

async function call<K extends RequestName>(name: K, payload?: RequestOf<K>): Promise<ResponseOf<K>> {
  const r = await dispatch(handlers, name, payload);
  if (!r.ok) throw new Error(r.error.message);
  return r.value as ResponseOf<K>;
}
const ofKind = <E extends EventName>(e: E) => events.filter((x) => x.event === e).map((x) => x.payload as EventOf<E>);

/** A run of one epoch; resolves with how it ended, and the events it sent, in order. */
async function train(): Promise<{ end: EventOf<'trainingEnded'>; sent: Event[] }> {
  const from = events.length;
  const state = await call('startTraining', {
    graph,
    dataset: folder,
    data: DEFAULT_DATA_SETTINGS,
    hyper: { ...DEFAULT_HYPERPARAMETERS, epochs: 1, batchSize: 4 },
    start: 'scratch',
  });
  const end = await until(() => ofKind('trainingEnded').find((e) => e.runId === state.runId), 'the run to end');
  return { end, sent: events.slice(from) };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'convas-start-'));
  folder = join(dir, 'images');
  for (const [label, name] of ['dark', 'light'].entries()) {
    await mkdir(join(folder, name), { recursive: true });
    for (let i = 0; i < PER_CLASS; i++) {
      const v = label === 0 ? 0.1 + i / 200 : 0.8 - i / 200;
      const image = tensor([1, 8, 8]);
      image.data.fill(v);
      await writeFile(join(folder, name, `${i}.png`), await encodePng(image));
    }
  }
  const services = createHostServices({
    dataDir: join(dir, 'data'),
    templatesDir: resolve('resources/templates'),
    appVersion: '0.0.0',
    runtime: 'test',
    autosaveMs: 60_000,
  });
  session = new ProjectSession(services, dialogs);
  const emit = <E extends EventName>(event: E, payload: EventOf<E>) =>
    events.push({ event, payload: checkEvent(event, payload) } as Event);
  const workbench = new Workbench({ session, dialogs, emit, threads: 2, relayIntervalMs: 20 });
  handlers = createHandlers(services, session, undefined, workbench);
  await call('newProject', {});
  // The folder dialog is how a window may read a folder.
  expect(await call('pickFolder', { title: 'Images' })).toEqual({ path: folder });
});
afterAll(async () => {
  await session?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('starting a run', () => {
  it('says what it is doing before the first step: the files read, the images decoded, the threads started', async () => {
    const { end, sent } = await train();
    expect(end.end.status).toBe('finished');
    const firstStep = sent.findIndex((e) => e.event === 'trainingProgress');
    const starting = sent.slice(0, firstStep).flatMap((e) => (e.event === 'trainingStarting' ? [e.payload] : []));
    const scans = starting.filter((p) => p.stage === 'scanning');
    expect(scans.at(-1)).toEqual({ stage: 'scanning', done: 2 * PER_CLASS, total: 2 * PER_CLASS });
    expect(starting).toContainEqual({ stage: 'workers', done: 2, total: 2 });
    const decoded = starting.filter((p) => p.stage === 'decoding').at(-1);
    expect(decoded?.done).toBe(decoded?.total);
    expect(decoded?.total).toBeGreaterThan(0);
    // Nothing about starting once the run has stepped.
    expect(sent.slice(firstStep).some((e) => e.event === 'trainingStarting')).toBe(false);
  });

  it('the next run reads the folder no more and decodes nothing: it trains with the image files gone', async () => {
    await rm(join(folder, 'dark'), { recursive: true });
    await rm(join(folder, 'light'), { recursive: true });
    const { end, sent } = await train();
    expect(end.end).toMatchObject({ status: 'finished', epochs: 1 });
    expect(sent.some((e) => e.event === 'trainingStarting' && e.payload.stage === 'scanning')).toBe(false);
  });
});
