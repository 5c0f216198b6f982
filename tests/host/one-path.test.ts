import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import type { Dialogs } from '../../src/host/project/dialogs';
import { readProjectFile } from '../../src/host/project/project-file';
import { createHostServices } from '../../src/host/project/services';
import { ProjectSession } from '../../src/host/project/session';
import { checkEvent, dispatch } from '../../src/host/server/dispatch';
import { createHandlers } from '../../src/host/server/handlers';
import { Workbench } from '../../src/host/workbench';
import type { EventName, EventOf } from '../../src/shared/api';
import { DEFAULT_DATA_SETTINGS, DEFAULT_HYPERPARAMETERS } from '../../src/shared/training';
import { chain } from '../helpers/graphs';
import { until } from '../helpers/until';

/**
 * The app and the command line train through the same loop (TrainingSession over an image folder): the same plan
 * on the same images gives the same weights, to the bit, whichever of them ran it.
 */
const graph = chain(
  ['input', 'input', { channels: 1, height: 28, width: 28 }],
  ['conv1', 'conv2d', { filters: 4, kernelH: 3, kernelW: 3, padding: 1 }],
  ['bn1', 'batchnorm'],
  ['relu1', 'relu'],
  ['pool1', 'maxpool2d', { size: 2, stride: 2 }],
  ['flatten', 'flatten'],
  ['drop', 'dropout', { rate: 0.2 }],
  ['fc', 'dense', { units: 10 }],
);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'convas-one-path-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('one training path', () => {
  it('gives the app and `convas train` identical weights for the same plan on the built-in sample', async () => {
    // The command line, with its defaults (the app's) and one epoch on one thread.
    const graphFile = join(dir, 'net.json');
    await writeFile(graphFile, JSON.stringify(graph));
    const out = join(dir, 'cli.convas');
    const quiet = { stdout: () => undefined, stderr: () => undefined, isTTY: false };
    expect(await main(['train', graphFile, '--out', out, '--epochs', '1', '--threads', '1'], quiet)).toBe(0);
    const fromCli = (await readProjectFile(out)).weights;

    // The app: the same plan through the Api, one thread.
    const services = createHostServices({
      dataDir: join(dir, 'data'),
      templatesDir: resolve('resources/templates'),
      appVersion: '0.0.0',
      runtime: 'test',
      autosaveMs: 60_000,
    });
    const dialogs: Dialogs = {
      openFile: () => Promise.resolve(null),
      saveFile: () => Promise.resolve(null),
      pickFolder: () => Promise.resolve(null),
    };
    const session = new ProjectSession(services, dialogs);
    const ended: EventOf<'trainingEnded'>[] = [];
    const emit = <E extends EventName>(event: E, payload: EventOf<E>) => {
      checkEvent(event, payload);
      if (event === 'trainingEnded') ended.push(payload as EventOf<'trainingEnded'>);
    };
    const workbench = new Workbench({ session, dialogs, emit, threads: 1 });
    const handlers = createHandlers(services, session, undefined, workbench);
    try {
      expect((await dispatch(handlers, 'newProject', {})).ok).toBe(true);
      const started = await dispatch(handlers, 'startTraining', {
        graph,
        dataset: null,
        data: DEFAULT_DATA_SETTINGS,
        hyper: { ...DEFAULT_HYPERPARAMETERS, epochs: 1 },
        start: 'scratch',
      });
      expect(started.ok).toBe(true);
      const end = await until(() => ended[0], 'the run to end');
      expect(end.end.status).toBe('finished');
      const fromApp = session.currentWeights;
      expect(Object.keys(fromApp).sort()).toEqual(Object.keys(fromCli).sort());
      for (const [name, t] of Object.entries(fromCli)) {
        expect(fromApp[name].shape, name).toEqual(t.shape);
        expect(Array.from(fromApp[name].data), name).toEqual(Array.from(t.data));
      }
      // And the records in the two projects' histories say the same of the run.
      const cliRun = (await readProjectFile(out)).file.history.at(-1)!;
      expect(end.run.settings).toEqual(cliRun.settings);
    } finally {
      await session.close();
    }
  });
});
