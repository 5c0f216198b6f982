// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import RunStatus from '../../src/renderer/dashboard/train/RunStatus.vue';
import { useGraphStore } from '../../src/renderer/stores/graph';
import { useTrainingStore } from '../../src/renderer/stores/training';
import { REQUEST_NAMES, type Api, type EventName, type RequestName } from '../../src/shared/api';
import { DEFAULT_HYPERPARAMETERS, type EpochPoint, type TrainingState } from '../../src/shared/training';
import { freshStores, template } from './setup';

/**
 * The Train panel's "Resume from epoch N": offered when the last run's end names a checkpoint, it sends the canvas's
 * network to `resumeFromCheckpoint`, carries on with the run the host answers, and shows the host's refusal.
 */

/** An Api whose answers each test scripts, recording every call. */
const fake = {
  calls: [] as { name: RequestName; payload: unknown }[],
  answers: {} as Partial<Record<RequestName, (payload: never) => unknown>>,
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
  api['on'] = (_event: EventName, _listener: unknown) => () => undefined;
  window.convas = api as unknown as Api;
});
beforeEach(() => {
  fake.calls = [];
  fake.answers = {};
});

const epoch1: EpochPoint = {
  epoch: 1,
  step: 25,
  loss: 1.2,
  accuracy: 0.6,
  valLoss: 1.1,
  valAccuracy: 0.62,
  seconds: 1,
  best: true,
};
const points = Array.from({ length: 25 }, (_, i) => ({ step: i + 1, epoch: 1, loss: 2 - i / 25 }));
const stopped: TrainingState = {
  phase: 'idle',
  runId: 'run-1',
  modelGraph: null,
  hyper: { ...DEFAULT_HYPERPARAMETERS, epochs: 3 },
  status: null,
  points,
  epochs: [epoch1],
  end: { status: 'stopped', epochs: 1, reason: null, resumeFrom: 1 },
  classes: ['a', 'b'],
};
const resumed: TrainingState = { ...stopped, phase: 'running', runId: 'run-2', end: null };
const resumeButton = '[data-testid="train-resume-checkpoint"]';

async function stoppedPanel() {
  freshStores(template('lenet5'));
  const t = useTrainingStore();
  fake.answers.trainingState = () => stopped;
  await t.refresh();
  const w = mount(RunStatus);
  await w.vm.$nextTick();
  return { t, w };
}

describe('resuming from a checkpoint in the Train panel', () => {
  it('offers "Resume from epoch N" after a stopped run, and resumes with the canvas’s network', async () => {
    const { t, w } = await stoppedPanel();
    expect(t.resumeFrom).toBe(1);
    expect(w.get(resumeButton).text()).toBe('Resume from epoch 1');

    fake.answers.resumeFromCheckpoint = () => resumed;
    await w.get(resumeButton).trigger('click');
    await new Promise((r) => setTimeout(r, 0));
    const call = fake.calls.find((c) => c.name === 'resumeFromCheckpoint');
    expect(call?.payload).toEqual({ graph: useGraphStore().graph });
    expect(t.phase).toBe('running');
    expect(t.runId).toBe('run-2');
    // The resumed run carries the first run's epoch and steps, so the charts go on from them.
    expect(t.epochs).toEqual([epoch1]);
    expect(t.pointCount).toBe(25);
    expect(t.resumeFrom).toBeNull();
    await w.vm.$nextTick();
    expect(w.find(resumeButton).exists()).toBe(false);
    expect(w.get('[data-testid="train-phase"]').text()).toBe('Training');
  });

  it('shows the host’s refusal and keeps offering the resume', async () => {
    const { t, w } = await stoppedPanel();
    fake.answers.resumeFromCheckpoint = () => {
      throw new Error('the network has changed since this run stopped after epoch 1');
    };
    await w.get(resumeButton).trigger('click');
    await new Promise((r) => setTimeout(r, 0));
    await w.vm.$nextTick();
    expect(t.phase).toBe('idle');
    expect(w.get('[data-testid="train-error"]').text()).toBe(
      'the network has changed since this run stopped after epoch 1',
    );
    expect(w.get(resumeButton).text()).toBe('Resume from epoch 1');
  });

  it('offers nothing when the run left no checkpoint or a run is going on', async () => {
    const { t, w } = await stoppedPanel();
    t.end = { status: 'failed', epochs: 0, reason: 'a worker was killed' };
    await w.vm.$nextTick();
    expect(t.resumeFrom).toBeNull();
    expect(w.find(resumeButton).exists()).toBe(false);
    t.end = { status: 'failed', epochs: 2, reason: 'a worker was killed', resumeFrom: 2 };
    await w.vm.$nextTick();
    expect(w.get(resumeButton).text()).toBe('Resume from epoch 2');
    t.phase = 'running';
    await w.vm.$nextTick();
    expect(w.find(resumeButton).exists()).toBe(false);
    // A click that arrives anyway asks nothing of the host.
    await t.resumeFromCheckpoint();
    expect(fake.calls.some((c) => c.name === 'resumeFromCheckpoint')).toBe(false);
  });
});
