import { defineStore } from 'pinia';
import { computed, markRaw, ref, shallowRef, toRaw, watch } from 'vue';
import type { EventOf } from '../../shared/api';
import type { KeptWeightsKind } from '../../shared/project';
import {
  defaultProjectSettings,
  DEFAULT_HYPERPARAMETERS,
  ProjectSettings,
  type EpochPoint,
  type FeatureMaps,
  type Hyperparameters,
  type OptimizerKind,
  type ScheduleKind,
  type StartingProgress,
  type StepPoint,
  type TrainingEnd,
  type TrainingPhase,
  type TrainingState,
  type TrainingStatus,
} from '../../shared/training';
import { getApi } from '../api';
import { LossSeries } from '../dashboard/charts/loss-series';
import { metricValue } from '../dashboard/format';
import { HYPER_FIELDS, parseTyped, schemaOf, type NumericHyper } from '../dashboard/train/hyper-fields';
import { useDatasetStore } from './dataset';
import { useGraphStore } from './graph';
import { useProjectStore } from './project';

/** Phases in which a run holds the network: the canvas refuses structural edits. */
const BUSY: readonly TrainingPhase[] = ['starting', 'running', 'paused', 'stopping'];

const typedDefaults = (): Record<NumericHyper, string> =>
  Object.fromEntries(HYPER_FIELDS.map((f) => [f.key, String(DEFAULT_HYPERPARAMETERS[f.key])])) as Record<
    NumericHyper,
    string
  >;

/**
 * Training as the window sees it: the hyperparameters as typed (each validated by the schema the host uses), the
 * run's phase and progress, every step's loss (held raw in a LossSeries, outside Vue's reactivity, with a counter
 * that says it grew), the epochs, how the last run ended, and the latest feature-map frame. Progress arrives as
 * events; the store never polls.
 */
export const useTrainingStore = defineStore('training', () => {
  const project = useProjectStore();
  const graphStore = useGraphStore();
  const dataset = useDatasetStore();

  const typed = ref<Record<NumericHyper, string>>(typedDefaults());
  const optimizer = ref<OptimizerKind>(DEFAULT_HYPERPARAMETERS.optimizer);
  const schedule = ref<ScheduleKind>(DEFAULT_HYPERPARAMETERS.schedule);
  /** How many weight sets of earlier runs the project keeps, as typed. */
  const keepTyped = ref(String(defaultProjectSettings().keepWeightSets));
  const keepError = computed(() => {
    const r = parseTyped(keepTyped.value, ProjectSettings.shape.keepWeightSets);
    return 'error' in r ? r.error : null;
  });
  /** Each field's complaint about what was typed, or null. */
  const fieldErrors = computed(() => {
    const out = {} as Record<NumericHyper, string | null>;
    for (const f of HYPER_FIELDS) {
      const r = parseTyped(typed.value[f.key], schemaOf(f.key));
      out[f.key] = 'error' in r ? r.error : null;
    }
    return out;
  });
  /** The hyperparameters, or null while a field holds something invalid. */
  const hyper = computed<Hyperparameters | null>(() => {
    const values: Partial<Hyperparameters> = { optimizer: optimizer.value, schedule: schedule.value };
    for (const f of HYPER_FIELDS) {
      const r = parseTyped(typed.value[f.key], schemaOf(f.key));
      if ('error' in r) return null;
      values[f.key] = r.value;
    }
    return values as Hyperparameters;
  });

  const phase = ref<TrainingPhase>('idle');
  const runId = ref<string | null>(null);
  const runHyper = shallowRef<Hyperparameters | null>(null);
  const status = shallowRef<TrainingStatus | null>(null);
  const epochs = shallowRef<EpochPoint[]>([]);
  const end = shallowRef<TrainingEnd | null>(null);
  /** Class names of the network that can be inspected now; null when there is none. */
  const classes = shallowRef<string[] | null>(null);
  const error = ref<string | null>(null);
  const series = markRaw(new LossSeries());
  /** Steps received: bumped as the series grows, so that charts know to redraw. */
  const pointCount = ref(0);
  let lastStep = 0;
  /** The latest feature-map frame streamed during a run. */
  const frame = shallowRef<FeatureMaps | null>(null);
  /** What a run that is starting is doing (scanning, decoding, starting threads); null otherwise. */
  const starting = shallowRef<StartingProgress | null>(null);
  /** Bumped whenever the network to inspect changes (a run ended, inspection prepared): views fetch again. */
  const modelVersion = ref(0);

  /** graphVersion of the network that can be inspected; differing from the canvas's, its results are older. */
  const modelGraph = ref<string | null>(null);
  const busy = computed(() => BUSY.includes(phase.value));
  /** The epoch the last run can resume from (it stopped, failed or diverged after it), or null. */
  const resumeFrom = computed(() => (busy.value ? null : (end.value?.resumeFrom ?? null)));
  const progress = computed(() => {
    const s = status.value;
    if (!s || s.steps === 0) return 0;
    return Math.min(1, ((s.epoch - 1) * s.steps + s.step) / (s.epochs * s.steps));
  });

  function addPoints(points: readonly StepPoint[]): void {
    let added = 0;
    for (const p of points) {
      // A snapshot (trainingState) and a relayed batch can overlap: each step is drawn once.
      if (p.step <= lastStep) continue;
      lastStep = p.step;
      series.add(p.step, metricValue(p.loss));
      added++;
    }
    if (added > 0) pointCount.value += added;
  }

  function resetRun(id: string | null): void {
    runId.value = id;
    series.clear();
    lastStep = 0;
    pointCount.value = 0;
    epochs.value = [];
    status.value = null;
    end.value = null;
    frame.value = null;
    starting.value = null;
  }

  function applyState(s: TrainingState): void {
    if (s.runId !== runId.value) resetRun(s.runId);
    phase.value = s.phase;
    if (s.phase !== 'starting') starting.value = null;
    runHyper.value = s.hyper;
    modelGraph.value = s.modelGraph;
    addPoints(s.points);
    if (s.epochs.length >= epochs.value.length) epochs.value = s.epochs;
    status.value = s.status ?? status.value;
    end.value = s.end;
    if (s.classes?.join('\u0000') !== classes.value?.join('\u0000')) {
      classes.value = s.classes;
      modelVersion.value++;
    }
  }

  function onProgress(p: EventOf<'trainingProgress'>): void {
    // A run this window has not heard of yet: its own start, whose answer is still on the way.
    if (p.runId !== runId.value) {
      if (phase.value !== 'starting') return;
      resetRun(p.runId);
    }
    addPoints(p.points);
    if (p.epochs.length > 0) epochs.value = [...epochs.value, ...p.epochs.filter((e) => e.epoch > lastEpoch())];
    if (p.status) status.value = p.status;
  }

  const lastEpoch = () => epochs.value[epochs.value.length - 1]?.epoch ?? 0;

  async function onEnded(e: EventOf<'trainingEnded'>): Promise<void> {
    if (e.runId !== runId.value) return;
    end.value = e.end;
    if (e.project) project.trained(e.project);
    await refresh();
    modelVersion.value++;
  }

  async function attempt<T>(request: () => Promise<T>): Promise<T | undefined> {
    error.value = null;
    try {
      return await request();
    } catch (e) {
      error.value = e instanceof Error ? e.message : String(e);
      return undefined;
    }
  }

  async function refresh(): Promise<void> {
    const s = await attempt(() => getApi().trainingState());
    if (s) applyState(s);
  }

  /** The forms take the settings of the project shown (or the defaults, for a project that has none). */
  function loadSettings(): void {
    const saved = project.settings ?? defaultProjectSettings();
    typed.value = Object.fromEntries(HYPER_FIELDS.map((f) => [f.key, String(saved.hyper[f.key])])) as Record<
      NumericHyper,
      string
    >;
    optimizer.value = saved.hyper.optimizer;
    schedule.value = saved.hyper.schedule;
    keepTyped.value = String(saved.keepWeightSets);
    dataset.loadSettings(saved.data);
  }
  watch(() => project.settingsLoads, loadSettings, { immediate: true });
  // Valid settings are the project's: saved with it, and the project is unsaved when they change.
  watch(
    () => {
      const keep = parseTyped(keepTyped.value, ProjectSettings.shape.keepWeightSets);
      const h = hyper.value;
      const data = dataset.settings;
      return h && data && !('error' in keep) ? { hyper: h, data, keepWeightSets: keep.value } : null;
    },
    (next) => {
      if (next) project.setSettings(next);
    },
  );

  let started = false;
  /** Subscribes to the host's training events and picks up a run already going on (after a reload). */
  async function init(): Promise<void> {
    if (started) return;
    started = true;
    const api = getApi();
    api.on('trainingStarting', (p) => {
      if (phase.value === 'starting') starting.value = p;
    });
    api.on('trainingProgress', onProgress);
    api.on('trainingEnded', (e) => void onEnded(e));
    api.on('featureMapFrame', (f) => (frame.value = f));
    // Another project replaces the network to inspect (the host stopped any run for it).
    watch(
      () => graphStore.loads,
      () => void refresh(),
    );
    await refresh();
  }

  /** Starts a run from a fresh initialisation ('scratch') or from the project's current weights ('continue'). */
  async function start(from: 'scratch' | 'continue' = 'scratch'): Promise<void> {
    const h = hyper.value;
    if (!h) {
      error.value = 'Some settings are not valid; see the messages beside the fields.';
      return;
    }
    if (busy.value) return;
    const data = dataset.settings;
    if (!data) {
      error.value = 'Some data settings are not valid; see the messages in the Data view.';
      return;
    }
    resetRun(null);
    phase.value = 'starting';
    const request = {
      graph: toRaw(graphStore.graph),
      dataset: dataset.choice,
      data,
      hyper: h,
      start: from,
    };
    const s = await attempt(() => getApi().startTraining(request));
    if (!s) {
      phase.value = 'idle';
      return;
    }
    applyState(s);
    modelVersion.value++;
  }

  /** Continues the last run from its checkpoint, with its settings; the host refuses if the network has changed. */
  async function resumeFromCheckpoint(): Promise<void> {
    if (busy.value || resumeFrom.value === null) return;
    phase.value = 'starting';
    const s = await attempt(() => getApi().resumeFromCheckpoint({ graph: toRaw(graphStore.graph) }));
    if (!s) {
      phase.value = 'idle';
      return;
    }
    applyState(s);
    modelVersion.value++;
  }

  async function control(request: 'pauseTraining' | 'resumeTraining' | 'stopTraining'): Promise<void> {
    const s = await attempt(() => getApi()[request]());
    if (s) applyState(s);
  }

  /** Makes a trained project's saved weights inspectable (no run in this window yet). */
  async function prepareInspection(): Promise<void> {
    const data = dataset.settings;
    if (!data) return;
    const request = { graph: toRaw(graphStore.graph), dataset: dataset.choice, data };
    const s = await attempt(() => getApi().prepareInspection(request));
    if (!s) return;
    applyState(s);
    modelVersion.value++;
  }

  /** A kept weight set of an earlier run becomes the current weights, and is inspected at once. */
  async function restoreWeights(run: string, kind: KeptWeightsKind): Promise<void> {
    if (busy.value) return;
    if (!(await project.restoreWeights(run, kind))) return;
    await refresh();
    await prepareInspection();
  }

  return {
    typed,
    optimizer,
    schedule,
    keepTyped,
    keepError,
    modelGraph,
    restoreWeights,
    fieldErrors,
    hyper,
    phase,
    starting,
    runId,
    runHyper,
    status,
    epochs,
    end,
    classes,
    error,
    series,
    pointCount,
    frame,
    modelVersion,
    busy,
    resumeFrom,
    progress,
    init,
    refresh,
    start,
    pause: () => control('pauseTraining'),
    resume: () => control('resumeTraining'),
    stop: () => control('stopTraining'),
    resumeFromCheckpoint,
    prepareInspection,
  };
});
