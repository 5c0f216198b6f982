// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import ClassBars from '../../src/renderer/dashboard/data/ClassBars.vue';
import DatasetWarnings from '../../src/renderer/dashboard/data/DatasetWarnings.vue';
import ThumbnailGrid from '../../src/renderer/dashboard/data/ThumbnailGrid.vue';
import { formatMetric } from '../../src/renderer/dashboard/format';
import ConfusionMatrix from '../../src/renderer/dashboard/inspect/ConfusionMatrix.vue';
import HistogramBars from '../../src/renderer/dashboard/inspect/HistogramBars.vue';
import ModeBar from '../../src/renderer/dashboard/ModeBar.vue';
import HyperparameterForm from '../../src/renderer/dashboard/train/HyperparameterForm.vue';
import LossChart from '../../src/renderer/dashboard/train/LossChart.vue';
import RunStatus from '../../src/renderer/dashboard/train/RunStatus.vue';
import { useViewStore } from '../../src/renderer/dashboard/view-store';
import { useProjectStore } from '../../src/renderer/stores/project';
import { useTrainingStore } from '../../src/renderer/stores/training';
import type { ConfusionView, DatasetReportView } from '../../src/shared/training';
import { freshStores, template } from './setup';

/**
 * The dashboard's components in a test DOM: what they show for given data, what they emit, and that names from
 * the user's files are shown as text, never as markup (RELIABILITY case 18).
 */
const MARKUP = '<img src=x onerror="window.__pwned=1">';
const PNG = 'data:image/png;base64,iVBORw0KGgo=';

function report(overrides: Partial<DatasetReportView> = {}): DatasetReportView {
  return {
    source: 'folder',
    root: '/data/pets',
    layout: 'classes',
    validationFrom: 'split',
    classes: [
      { name: 'cat', label: 0, counts: { train: 80, validation: 20, test: 0 } },
      { name: MARKUP, label: 1, counts: { train: 8, validation: 2, test: 0 } },
    ],
    totals: { train: 88, validation: 22, test: 0 },
    sizes: null,
    formats: { png: 110 },
    skipped: [{ rel: `cat/${MARKUP}.png`, kind: 'not-an-image', reason: 'content is not a PNG' }],
    skippedTotal: 3,
    ignored: { count: 0, examples: [] },
    imbalance: null,
    duplicates: [],
    errors: [],
    warnings: ['Class imbalance: "cat" has 80 training images, only 8 (10.0×).'],
    ...overrides,
  };
}

describe('the Data view’s parts', () => {
  it('draws a bar per class, scaled to the largest, with class names as text', () => {
    freshStores();
    const w = mount(ClassBars, { props: { report: report() } });
    const rows = w.findAll('.bar-row');
    expect(rows).toHaveLength(2);
    expect(rows[1].get('.name').text()).toBe(MARKUP);
    expect(w.find('img').exists()).toBe(false);
    expect(rows[0].get('.train').attributes('style')).toContain('width: 80%');
    expect(rows[1].get('.validation').attributes('style')).toContain('width: 2%');
  });

  it('lists warnings and skipped files with their reasons, as text', () => {
    freshStores();
    const w = mount(DatasetWarnings, { props: { report: report() } });
    expect(w.text()).toContain('Class imbalance');
    expect(w.get('[data-testid="skipped-files"] summary').text()).toBe('3 skipped file(s)');
    expect(w.get('.file').text()).toBe(`cat/${MARKUP}.png`);
    expect(w.text()).toContain('and 2 more');
    expect(w.find('img').exists()).toBe(false);
    expect((window as { __pwned?: number }).__pwned).toBeUndefined();
    const blocked = mount(DatasetWarnings, { props: { report: report({ errors: ['Class "dog" has no images'] }) } });
    expect(blocked.get('.dash-error').text()).toBe('Class "dog" has no images');
    expect(blocked.find('.ok').exists()).toBe(false);
  });

  it('shows thumbnails under their class, file names as alt text', () => {
    freshStores();
    const thumbnails = { classes: [{ name: MARKUP, images: [{ file: `${MARKUP}/1.png`, png: PNG }] }] };
    const w = mount(ThumbnailGrid, { props: { thumbnails } });
    expect(w.get('.name').text()).toBe(MARKUP);
    expect(w.findAll('img')).toHaveLength(1);
    expect(w.get('img').attributes('alt')).toBe(`${MARKUP}/1.png`);
  });
});

describe('the Train view’s parts', () => {
  it('shows a field’s message beside it while what is typed is not allowed', async () => {
    freshStores(template('lenet5'));
    const w = mount(HyperparameterForm);
    const t = useTrainingStore();
    await w.get('#hyper-batchSize').setValue('0');
    expect(t.typed.batchSize).toBe('0');
    expect(w.get('#hyper-batchSize-error').text()).toBe('a whole number from 1 to 4,096');
    expect(w.get('#hyper-batchSize').attributes('aria-invalid')).toBe('true');
    await w.get('#hyper-batchSize').setValue('16');
    expect(w.find('#hyper-batchSize-error').exists()).toBe(false);
    // Momentum only matters to the momentum optimizer.
    expect(w.find('#hyper-momentum').exists()).toBe(false);
    await w.get('#hyper-optimizer').setValue('momentum');
    expect(w.find('#hyper-momentum').exists()).toBe(true);
  });

  it('offers a learning-rate schedule and label smoothing, which the next run’s settings carry', async () => {
    freshStores(template('lenet5'));
    const w = mount(HyperparameterForm);
    const t = useTrainingStore();
    const schedule = w.get<HTMLSelectElement>('#hyper-schedule');
    expect(schedule.findAll('option').map((o) => o.text())).toEqual(['Constant', 'Cosine decay']);
    expect(t.hyper?.schedule).toBe('constant');
    await schedule.setValue('cosine');
    expect(t.hyper?.schedule).toBe('cosine');
    // Label smoothing is a number field like the others, checked against the host's range.
    expect(t.hyper?.labelSmoothing).toBe(0);
    await w.get('#hyper-labelSmoothing').setValue('0.1');
    expect(t.hyper?.labelSmoothing).toBe(0.1);
    await w.get('#hyper-labelSmoothing').setValue('0.9');
    expect(w.get('#hyper-labelSmoothing-error').text()).toBe('a number from 0 to 0.5');
  });

  it('says where a run diverged, NaN as NaN, and how a finished run ended', async () => {
    freshStores(template('lenet5'));
    const t = useTrainingStore();
    const w = mount(RunStatus);
    t.end = { status: 'diverged', epochs: 0, reason: 'the loss became NaN at epoch 1, batch 5 of 25 (step 5)' };
    await w.vm.$nextTick();
    expect(w.get('[data-testid="train-end"]').text()).toBe(
      'Training diverged: the loss became NaN at epoch 1, batch 5 of 25 (step 5)',
    );
    expect(w.get('[data-testid="train-end"]').classes()).toContain('dash-error');
    t.end = { status: 'finished', epochs: 3, reason: null };
    await w.vm.$nextTick();
    expect(w.get('[data-testid="train-end"]').text()).toBe('Finished 3 epochs.');
    t.epochs = [{ epoch: 3, step: 75, loss: 'NaN', valLoss: 0.5, valAccuracy: 0.81, accuracy: 0.8, best: true }];
    await w.vm.$nextTick();
    expect(w.text()).toContain('epoch 3: loss NaN, validation loss 0.500, validation accuracy 81.0%');
  });

  it('shows speed and time left while running, and no stale figures while paused', async () => {
    freshStores(template('lenet5'));
    const t = useTrainingStore();
    const w = mount(RunStatus);
    t.status = {
      epoch: 1,
      epochs: 3,
      step: 4,
      steps: 25,
      globalStep: 4,
      learningRate: 0.05,
      imagesPerSecond: 1234.4,
      etaSeconds: 6,
    };
    t.phase = 'running';
    await w.vm.$nextTick();
    const figures = () => w.get('[data-testid="train-figures"]').text().replace(/\s+/g, ' ');
    expect(figures()).toMatch(/step 4\/25 · 1,234 images\/s · ETA \S+/);
    t.phase = 'paused';
    await w.vm.$nextTick();
    expect(figures()).toBe('epoch 1/3 · step 4/25 · paused');
  });

  it('shows where a scheduled learning rate has got to while running', async () => {
    freshStores(template('lenet5'));
    const t = useTrainingStore();
    const w = mount(RunStatus);
    t.runHyper = { ...t.hyper!, schedule: 'cosine', learningRate: 0.002 };
    const status = { epoch: 2, epochs: 3, step: 1, steps: 25, globalStep: 26, imagesPerSecond: 900, etaSeconds: 6 };
    t.status = { ...status, learningRate: 0.0013742 };
    t.phase = 'running';
    await w.vm.$nextTick();
    const figures = () => w.get('[data-testid="train-figures"]').text().replace(/\s+/g, ' ');
    expect(figures()).toMatch(/step 1\/25 · learning rate 0.00137 · 900 images\/s/);
    t.status = { ...status, learningRate: 2.5e-6 };
    await w.vm.$nextTick();
    expect(figures()).toContain('learning rate 2.50e-6 ·');
    // Held constant, the rate is the one in the form: not repeated.
    t.runHyper = { ...t.runHyper, schedule: 'constant' };
    await w.vm.$nextTick();
    expect(figures()).not.toContain('learning rate');
  });

  it('gives the loss chart’s figures as text where it cannot draw', async () => {
    freshStores(template('lenet5'));
    const t = useTrainingStore();
    const w = mount(LossChart);
    for (let i = 1; i <= 5; i++) t.series.add(i, 3 - i / 2);
    t.pointCount += 5;
    await w.vm.$nextTick();
    const chart = w.get('[data-testid="loss-chart"]');
    expect(chart.attributes('data-points')).toBe('5');
    expect(chart.attributes('data-first')).toBe('2.5');
    expect(chart.attributes('data-last')).toBe('0.5');
    expect(w.text()).toContain('5 steps');
  });

  it('offers the four modes and enables the run controls by phase', async () => {
    freshStores(template('lenet5'));
    const view = useViewStore();
    const t = useTrainingStore();
    const w = mount(ModeBar);
    expect(w.findAll('[role="tab"]').map((b) => b.text())).toEqual(['Design', 'Data', 'Train', 'Inspect']);
    await w.get('[data-testid="mode-inspect"]').trigger('click');
    expect(view.mode).toBe('inspect');
    expect(w.get('[data-testid="run-pause"]').attributes('disabled')).toBeDefined();
    t.phase = 'running';
    await w.vm.$nextTick();
    expect(w.get('[data-testid="run-pause"]').attributes('disabled')).toBeUndefined();
    expect(w.get('[data-testid="run-start"]').attributes('disabled')).toBeDefined();
    t.phase = 'paused';
    await w.vm.$nextTick();
    expect(w.find('[data-testid="run-resume"]').exists()).toBe(true);
  });

  it('while a run starts, says what it is doing with a bar of its own', async () => {
    freshStores(template('lenet5'));
    const t = useTrainingStore();
    const w = mount(ModeBar);
    t.phase = 'starting';
    await w.vm.$nextTick();
    expect(w.get('[data-testid="run-summary"]').text()).toBe('Opening the dataset and starting the workers…');
    t.starting = { stage: 'scanning', done: 340, total: 1200 };
    await w.vm.$nextTick();
    expect(w.get('[data-testid="run-summary"]').text()).toBe('Reading the dataset: 340 of 1,200 files…');
    const bar = w.get('progress[aria-label="starting progress"]');
    expect(Number(bar.attributes('value'))).toBeCloseTo(340 / 1200);
    t.starting = { stage: 'decoding', done: 64, total: 200 };
    await w.vm.$nextTick();
    expect(w.get('[data-testid="run-summary"]').text()).toBe('Decoding the validation images: 64 of 200…');
    t.starting = { stage: 'workers', done: 0, total: 2 };
    await w.vm.$nextTick();
    expect(w.get('[data-testid="run-summary"]').text()).toBe('Starting 2 training threads…');
    t.phase = 'running';
    await w.vm.$nextTick();
    expect(w.find('progress[aria-label="starting progress"]').exists()).toBe(false);
    expect(w.find('progress[aria-label="training progress"]').exists()).toBe(true);
  });

  it('with trained weights, ▶ Train leads to the choice of Continue or From scratch instead of starting', async () => {
    freshStores(template('lenet5'));
    const view = useViewStore();
    useProjectStore().weights = [{ name: 'conv1.kernel', shape: [6, 1, 5, 5] }];
    const t = useTrainingStore();
    let started = 0;
    t.start = () => (started++, Promise.resolve());
    const w = mount(ModeBar);
    await w.get('[data-testid="run-start"]').trigger('click');
    expect(view.mode).toBe('train');
    expect(started).toBe(0);
    const status = mount(RunStatus);
    expect(status.get('[data-testid="train-continue"]').text()).toBe('Continue');
    expect(status.get('[data-testid="train-start"]').text()).toBe('From scratch');
  });
});

describe('the Inspect view’s parts', () => {
  const confusion: ConfusionView = {
    classes: ['cat', MARKUP],
    matrix: [
      [7, 3],
      [1, 9],
    ],
    accuracy: 0.8,
    loss: 'NaN',
    perClass: [
      { name: 'cat', correct: 7, total: 10, accuracy: 0.7 },
      { name: MARKUP, correct: 9, total: 10, accuracy: 0.9 },
    ],
  };

  it('draws a cell per pair with its count; a click selects the pair', async () => {
    freshStores();
    const w = mount(ConfusionMatrix, { props: { confusion, selected: null } });
    expect(w.findAll('.cell').map((c) => c.attributes('data-count'))).toEqual(['7', '3', '1', '9']);
    expect(w.text()).toContain('accuracy 80.0% · loss NaN');
    expect(w.find('img').exists()).toBe(false);
    expect(w.findAll('.row-head').map((h) => h.text())).toEqual(['cat', MARKUP]);
    await w.get('[data-testid="cell-0-1"]').trigger('click');
    expect(w.emitted('select')).toEqual([[{ actual: 0, predicted: 1 }]]);
  });

  it('draws a histogram with bars proportional to the counts', () => {
    freshStores();
    const w = mount(HistogramBars, {
      props: { title: 'weights: kernel', histogram: { min: -1, max: 1, mean: 0, counts: [1, 4, 2], total: 7 } },
    });
    const heights = w.findAll('rect').map((r) => Number(r.attributes('height')));
    expect(heights).toEqual([10, 40, 20]);
    expect(w.text()).toContain('7 values');
  });

  it('writes metrics by name when they are not numbers', () => {
    expect(formatMetric('NaN')).toBe('NaN');
    expect(formatMetric(Number.NaN)).toBe('NaN');
    expect(formatMetric('Infinity')).toBe('∞');
    expect(formatMetric(0.12345)).toBe('0.123');
    expect(formatMetric(null)).toBe('—');
  });
});
