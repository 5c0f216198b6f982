/**
 * `npm run bench:first-step`: the time from "Train" to the first step on the built-in sample, through the app's
 * host services (the same Api dispatch, Workbench and training workers the window talks to), with the template
 * users train (fashion-2conv) at the app's default settings. Two figures, each the median of 5:
 *
 *   - a new window: a fresh Workbench whose dataset was never scanned, as when Train is the first thing clicked;
 *   - the next run in the same window, after the Data view showed the sample (its scan and decoded images kept).
 *
 * The workers run from the build (out/main/training-worker.js), as they do in the app: the script builds first.
 *   options: --runs N (default 5) --threads T (default: all cores)
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { Dialogs } from '../src/host/project/dialogs';
import { createHostServices } from '../src/host/project/services';
import { ProjectSession } from '../src/host/project/session';
import { checkEvent, dispatch, type Handlers } from '../src/host/server/dispatch';
import { createHandlers } from '../src/host/server/handlers';
import { Workbench } from '../src/host/workbench';
import type { EventName, EventOf, RequestName, RequestOf, ResponseOf } from '../src/shared/api';
import type { Graph } from '../src/shared/graph';
import { DEFAULT_DATA_SETTINGS, DEFAULT_HYPERPARAMETERS } from '../src/shared/training';
import { median } from './harness';

const { values } = parseArgs({ options: { runs: { type: 'string' }, threads: { type: 'string' } } });
const RUNS = Number(values.runs ?? 5);
const THREADS = Number(values.threads ?? availableParallelism());
const TARGET_SECONDS = 2;
const workerScript = pathToFileURL(resolve('out/main/training-worker.js'));

const noDialogs: Dialogs = {
  openFile: () => Promise.resolve(null),
  saveFile: () => Promise.resolve(null),
  pickFolder: () => Promise.resolve(null),
};

/** One window: host services, a project session and a Workbench, behind the Api's dispatch. */
async function openWindow(dataDir: string) {
  const services = createHostServices({
    dataDir,
    templatesDir: resolve('resources/templates'),
    appVersion: '0.0.0',
    runtime: 'bench',
    autosaveMs: 600_000,
  });
  const session = new ProjectSession(services, noDialogs);
  const listeners = new Set<(event: EventName, payload: unknown) => void>();
  const emit = <E extends EventName>(event: E, payload: EventOf<E>) => {
    checkEvent(event, payload);
    for (const l of listeners) l(event, payload);
  };
  const workbench = new Workbench({ session, dialogs: noDialogs, emit, threads: THREADS, workerScript });
  const handlers: Handlers = createHandlers(services, session, undefined, workbench);
  const call = async <K extends RequestName>(name: K, payload?: RequestOf<K>): Promise<ResponseOf<K>> => {
    const r = await dispatch(handlers, name, payload);
    if (!r.ok) throw new Error(`${name}: ${r.error.message}`);
    return r.value as ResponseOf<K>;
  };
  const next = <E extends EventName>(event: E, test: (p: EventOf<E>) => boolean) =>
    new Promise<EventOf<E>>((done) => {
      const l = (e: EventName, p: unknown) => {
        if (e === event && test(p as EventOf<E>)) {
          listeners.delete(l);
          done(p as EventOf<E>);
        }
      };
      listeners.add(l);
    });
  await call('newProject', {});
  return { call, next, close: () => session.close() };
}

type Window = Awaited<ReturnType<typeof openWindow>>;

/** Seconds from the startTraining request to the first step's progress event; then the run is stopped. */
async function timeToFirstStep(w: Window, graph: Graph): Promise<number> {
  const firstStep = w.next('trainingProgress', (p) => p.points.length > 0);
  const t0 = performance.now();
  const state = await w.call('startTraining', {
    graph,
    dataset: null,
    data: DEFAULT_DATA_SETTINGS,
    hyper: { ...DEFAULT_HYPERPARAMETERS, epochs: 1 },
    start: 'scratch',
  });
  await firstStep;
  const seconds = (performance.now() - t0) / 1000;
  const ended = w.next('trainingEnded', (e) => e.runId === state.runId);
  await w.call('stopTraining');
  await ended;
  return seconds;
}

const graph = JSON.parse(await readFile('resources/templates/fashion-2conv.json', 'utf8')) as Graph;
const dir = await mkdtemp(join(tmpdir(), 'convas-first-step-'));
const cold: number[] = [];
const warm: number[] = [];
try {
  for (let r = 0; r < RUNS; r++) {
    const w = await openWindow(join(dir, `window-${r}`));
    try {
      cold.push(await timeToFirstStep(w, graph));
      await w.call('datasetReport', { dataset: null, validationFraction: DEFAULT_DATA_SETTINGS.validationFraction });
      warm.push(await timeToFirstStep(w, graph));
    } finally {
      await w.close();
    }
    console.error(`run ${r + 1}: new window ${cold[r].toFixed(2)} s, next run ${warm[r].toFixed(2)} s`);
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
const verdict = (s: number) => (s < TARGET_SECONDS ? 'PASS' : 'MISS');
console.log(
  `time from Train to the first step, built-in sample, fashion-2conv, ${THREADS} threads, median of ${RUNS}:`,
);
console.log(
  `  new window (nothing scanned yet): ${median(cold).toFixed(2)} s  ${verdict(median(cold))} (target < ${TARGET_SECONDS} s)`,
);
console.log(`  next run in the same window:      ${median(warm).toFixed(2)} s  ${verdict(median(warm))}`);
console.log(`  load average during the runs: ${loadavg()[0].toFixed(2)} on ${availableParallelism()} cores`);
