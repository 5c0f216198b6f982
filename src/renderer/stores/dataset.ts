import { defineStore } from 'pinia';
import { computed, ref, shallowRef, toRaw, watch } from 'vue';
import type { z } from 'zod';
import {
  AugmentSettings,
  DataSettings as DataSettingsSchema,
  DEFAULT_DATA_SETTINGS,
  type AugmentPreview,
  type DataSettings,
  type DatasetChoice,
  type DatasetReportView,
  type Thumbnails,
} from '../../shared/training';
import { getApi } from '../api';
import { checkFit } from '../dashboard/data/fit-check';
import { parseTyped } from '../dashboard/train/hyper-fields';
import { useGraphStore } from './graph';
import { useProjectStore } from './project';

/** Thumbnails shown per class. */
const THUMBNAILS_PER_CLASS = 4;

/** The data settings typed as numbers, with the schema each is checked by (the host's own). */
export const DATA_NUMBER_FIELDS = {
  validationFraction: DataSettingsSchema.shape.validationFraction,
  shift: AugmentSettings.shape.shift,
  rotate: AugmentSettings.shape.rotate,
  brightness: AugmentSettings.shape.brightness,
  contrast: AugmentSettings.shape.contrast,
} satisfies Record<string, z.ZodType<number>>;
export type DataNumberField = keyof typeof DATA_NUMBER_FIELDS;

const typedDefaults = (): Record<DataNumberField, string> => ({
  validationFraction: String(DEFAULT_DATA_SETTINGS.validationFraction),
  shift: String(DEFAULT_DATA_SETTINGS.augment.shift),
  rotate: String(DEFAULT_DATA_SETTINGS.augment.rotate),
  brightness: String(DEFAULT_DATA_SETTINGS.augment.brightness),
  contrast: String(DEFAULT_DATA_SETTINGS.augment.contrast),
});

/**
 * The Data view's state: which images (the built-in sample, or a folder the host handed out), their report and
 * thumbnails, how they are split and augmented, and a preview of the augmentation. Follows the project: an opened
 * project's dataset becomes the choice, a new project starts on the sample.
 */
export const useDatasetStore = defineStore('dataset', () => {
  const project = useProjectStore();
  const graphStore = useGraphStore();

  /** null: the built-in sample. Otherwise a path the host gave this window (dialog or project file). */
  const choice = ref<DatasetChoice>(null);
  const report = shallowRef<DatasetReportView | null>(null);
  const thumbnails = shallowRef<Thumbnails | null>(null);
  const preview = shallowRef<AugmentPreview | null>(null);
  const previewSeed = ref(1);
  /** The numbers as typed, each checked by its schema; flip and resize are chosen, not typed. */
  const typed = ref<Record<DataNumberField, string>>(typedDefaults());
  const flip = ref(DEFAULT_DATA_SETTINGS.augment.flip);
  const resize = ref<DataSettings['resize']>(DEFAULT_DATA_SETTINGS.resize);
  const fieldErrors = computed(() => {
    const out = {} as Record<DataNumberField, string | null>;
    for (const key of Object.keys(DATA_NUMBER_FIELDS) as DataNumberField[]) {
      const r = parseTyped(typed.value[key], DATA_NUMBER_FIELDS[key]);
      out[key] = 'error' in r ? r.error : null;
    }
    return out;
  });
  /** Split and augmentation as training will use them; null while a field holds something invalid. */
  const settings = computed<DataSettings | null>(() => {
    const v = {} as Record<DataNumberField, number>;
    for (const key of Object.keys(DATA_NUMBER_FIELDS) as DataNumberField[]) {
      const r = parseTyped(typed.value[key], DATA_NUMBER_FIELDS[key]);
      if ('error' in r) return null;
      v[key] = r.value;
    }
    const { validationFraction, ...augment } = v;
    return { validationFraction, resize: resize.value, augment: { flip: flip.value, ...augment } };
  });
  /** The split the report was made with: the last valid one typed. */
  const validationFraction = ref(DEFAULT_DATA_SETTINGS.validationFraction);
  watch(settings, (s) => {
    if (s) validationFraction.value = s.validationFraction;
  });
  /** Mismatches with the network the user chose to keep (e.g. colour images trained as grayscale). */
  const acceptedFit = ref<string[]>([]);
  /** How the images and the network disagree, with the fixes; mismatches keep the dataset from being ready. */
  const fit = computed(() =>
    report.value
      ? checkFit(graphStore.graph, graphStore.analysis.shapes, report.value, resize.value, new Set(acceptedFit.value))
      : [],
  );
  const loading = ref(false);
  const error = ref<string | null>(null);
  /** Which choice and split the report describes, so that it is only fetched again when they change. */
  let reported: string | null = null;

  const label = computed(() =>
    choice.value === null || report.value?.source === 'sample'
      ? 'Built-in sample (Fashion-MNIST, 10 classes)'
      : (report.value?.root ?? choice.value),
  );
  /** Training refuses a dataset with errors; the Data and Train views say why before the user tries. */
  const problems = computed(() => report.value?.errors ?? []);

  async function attempt<T>(request: () => Promise<T>): Promise<T | undefined> {
    error.value = null;
    try {
      return await request();
    } catch (e) {
      error.value = e instanceof Error ? e.message : String(e);
      return undefined;
    }
  }

  /** Fetches the report and thumbnails of the current choice (unless they are already shown). */
  async function load({ force = false } = {}): Promise<void> {
    const key = `${choice.value ?? ''}\u0000${validationFraction.value}`;
    if (!force && key === reported && report.value) return;
    reported = key;
    loading.value = true;
    const dataset = choice.value;
    const done = await attempt(async () => {
      const api = getApi();
      const [r, t] = await Promise.all([
        api.datasetReport({ dataset, validationFraction: validationFraction.value }),
        api.datasetThumbnails({ dataset, perClass: THUMBNAILS_PER_CLASS }),
      ]);
      // A later choice may have replaced this one while it loaded.
      if (dataset !== choice.value) return;
      report.value = r;
      thumbnails.value = t;
    });
    if (done === undefined && error.value) {
      report.value = null;
      thumbnails.value = null;
      reported = null;
    }
    loading.value = false;
  }

  async function refreshPreview(): Promise<void> {
    const dataset = choice.value;
    const s = settings.value;
    if (!s) return;
    const p = await attempt(() =>
      getApi().augmentPreview({ dataset, augment: { ...toRaw(s.augment) }, seed: previewSeed.value }),
    );
    if (p && dataset === choice.value) preview.value = p;
  }

  function select(next: DatasetChoice): void {
    if (next === choice.value) return;
    choice.value = next;
    report.value = null;
    thumbnails.value = null;
    preview.value = null;
    acceptedFit.value = [];
    reported = null;
  }

  async function useSample(): Promise<void> {
    select(null);
    await load();
  }

  /** The folder dialog (native, or the in-page picker); the host remembers the folder for this window. */
  async function chooseFolder(): Promise<void> {
    const picked = await attempt(() =>
      getApi().pickFolder({ title: 'Choose a dataset folder (one sub-folder per class)' }),
    );
    if (!picked) return;
    select(picked.path);
    await load({ force: true });
  }

  /** The project's saved data settings become the form's. */
  function loadSettings(d: DataSettings): void {
    typed.value = {
      validationFraction: String(d.validationFraction),
      shift: String(d.augment.shift),
      rotate: String(d.augment.rotate),
      brightness: String(d.augment.brightness),
      contrast: String(d.augment.contrast),
    };
    flip.value = d.augment.flip;
    resize.value = d.resize;
  }

  // An opened project brings its dataset; a new one starts on the sample. (A run recording the dataset it
  // trained on changes nothing here: that is the choice already made.)
  watch(
    () => graphStore.loads,
    () => select(project.dataset?.path ?? null),
  );

  return {
    choice,
    report,
    thumbnails,
    preview,
    previewSeed,
    typed,
    flip,
    resize,
    fieldErrors,
    settings,
    validationFraction,
    acceptedFit,
    fit,
    loading,
    error,
    label,
    problems,
    load,
    refreshPreview,
    useSample,
    chooseFolder,
    select,
    loadSettings,
  };
});
