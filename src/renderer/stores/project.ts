import { defineStore } from 'pinia';
import { computed, ref, shallowRef, toRaw, watch } from 'vue';
import type { AppInfo, BackupInfo, OpenedProject, RecentEntry, Saved, TemplateSummary } from '../../shared/api';
import type {
  DatasetLocation,
  KeptWeightsInfo,
  KeptWeightsKind,
  ProjectContent,
  TrainingRun,
  WeightEntry,
} from '../../shared/project';
import type { ProjectSettings } from '../../shared/training';
import { getApi } from '../api';
import { weightMarks } from '../editor/weight-marks';
import { useGraphStore } from './graph';

/** Edits reach the host (which backs them up) this long after they stop, not on every step of a drag. */
const REPORT_DELAY_MS = 300;

/**
 * The open project as the window sees it: which file, whether it has unsaved changes, and the file actions.
 * The graph itself lives in the graph store; the weights stay in the host (only their names come here).
 * Every action reports failure in `error` (the shell shows it) and never replaces the project on failure.
 */
export const useProjectStore = defineStore('project', () => {
  const graphStore = useGraphStore();

  const path = ref<string | null>(null);
  /** What the title bar shows. */
  const name = ref('Untitled');
  /** The project's own name (a template's title), saved in the file. */
  const projectName = ref<string | undefined>(undefined);
  const dataset = shallowRef<DatasetLocation | null>(null);
  const history = shallowRef<TrainingRun[]>([]);
  const weights = shallowRef<WeightEntry[]>([]);
  /** graphVersion of the network the weights were trained on (null: unknown or none). */
  const weightsGraph = ref<string | null>(null);
  /** Weight sets kept for runs of the history, which can become the current weights again. */
  const kept = shallowRef<KeptWeightsInfo[]>([]);
  /** The kept set the current weights are, when the host knows it. */
  const weightsFrom = shallowRef<OpenedProject['weightsFrom']>(null);
  /** The next run's settings as the project saves them; undefined until the stores set them (the defaults). */
  const settings = shallowRef<ProjectSettings | undefined>(undefined);
  /** Bumped when a project is shown, after its settings are set: the Train and Data forms load them then. */
  const settingsLoads = ref(0);
  /** Each layer's weights as trained, kept after an edit, or new; why they cannot be exported, if so. */
  const marks = computed(() =>
    weightMarks(graphStore.graph, graphStore.analysis.full.compiled, weights.value, weightsGraph.value),
  );
  /** Unsaved changes the graph store cannot see: a restored backup, a reload after a crash, settings, weights. */
  const unsavedOnLoad = ref(false);
  const dirty = computed(() => unsavedOnLoad.value || graphStore.dirty);

  const error = ref<string | null>(null);
  /** Something to tell the user that is not an error (the window crashed and was reloaded). */
  const notice = ref<string | null>(null);
  const backups = ref<BackupInfo[]>([]);
  const recent = ref<RecentEntry[]>([]);
  const templates = ref<TemplateSummary[]>([]);
  const info = ref<AppInfo | null>(null);
  const busy = ref(false);
  const ready = ref(false);

  /** The project as plain objects (no Vue proxies, which Electron's IPC cannot copy). */
  function content(): ProjectContent {
    return {
      ...(projectName.value === undefined ? {} : { name: projectName.value }),
      graph: toRaw(graphStore.graph),
      dataset: toRaw(dataset.value),
      history: toRaw(history.value),
      ...(settings.value ? { settings: toRaw(settings.value) } : {}),
    };
  }

  function show(opened: OpenedProject): void {
    path.value = opened.path;
    name.value = opened.name;
    projectName.value = opened.project.name;
    dataset.value = opened.project.dataset;
    history.value = opened.project.history;
    weights.value = opened.weights;
    weightsGraph.value = opened.weightsGraph;
    kept.value = opened.kept;
    weightsFrom.value = opened.weightsFrom;
    settings.value = opened.project.settings;
    settingsLoads.value++;
    graphStore.load(opened.project.graph, { saved: !opened.dirty });
    unsavedOnLoad.value = opened.dirty;
  }

  /** The Train or Data form changed a setting: it is part of the project, so the project is unsaved. */
  function setSettings(next: ProjectSettings): void {
    if (settings.value && stableJson(next) === stableJson(toRaw(settings.value))) return;
    const first = settings.value === undefined;
    settings.value = next;
    // A project opened without saved settings takes the defaults without becoming unsaved.
    if (first) return;
    unsavedOnLoad.value = true;
    clearTimeout(reportTimer);
    reportTimer = setTimeout(() => void reportChange(), REPORT_DELAY_MS);
  }

  /**
   * Runs a request, putting its failure in `error`; undefined when it failed. A user's action clears the
   * previous error first; a refresh in the background (`quiet`) leaves it for the user to read.
   */
  async function attempt<T>(request: () => Promise<T>, { quiet = false } = {}): Promise<T | undefined> {
    if (!quiet) busy.value = true;
    if (!quiet) error.value = null;
    try {
      return await request();
    } catch (e) {
      error.value = e instanceof Error ? e.message : String(e);
      return undefined;
    } finally {
      if (!quiet) busy.value = false;
    }
  }

  function mayDiscard(): boolean {
    return !dirty.value || window.confirm(`Discard the unsaved changes to ${name.value}?`);
  }

  async function refreshLists(): Promise<void> {
    const api = getApi();
    const [r, t] = await Promise.all([api.listRecent(), api.listTemplates()]);
    recent.value = r;
    templates.value = t;
  }

  let reportTimer: ReturnType<typeof setTimeout> | undefined;
  async function reportChange(): Promise<void> {
    if (!dirty.value) return;
    try {
      await getApi().projectChanged({ project: content() });
    } catch (e) {
      error.value = (e as Error).message;
    }
  }

  /**
   * Loads what the window should show: the project it had before a reload (with what happened), else a file the
   * OS asked to open, else a new empty project. Backups left by a crash are offered by the restore prompt.
   */
  async function start(): Promise<void> {
    const api = getApi();
    api.on('fileOpenRequested', ({ path: file }) => void openRecent(file));
    await attempt(async () => {
      const [appInfo, startup] = await Promise.all([api.appInfo(), api.startup()]);
      info.value = appInfo;
      backups.value = startup.backups;
      notice.value = startup.crash;
      if (startup.project) return show(startup.project);
      if (startup.fileToOpen) {
        try {
          return show(await api.openRecent({ path: startup.fileToOpen.path }));
        } catch (e) {
          error.value = (e as Error).message;
        }
      }
      show(await api.newProject({}));
    });
    await attempt(refreshLists, { quiet: true });
    watch(
      () => graphStore.revision,
      () => {
        clearTimeout(reportTimer);
        reportTimer = setTimeout(() => void reportChange(), REPORT_DELAY_MS);
      },
    );
    ready.value = true;
  }

  async function newProject(templateId?: string): Promise<void> {
    if (!mayDiscard()) return;
    const opened = await attempt(() => getApi().newProject(templateId === undefined ? {} : { templateId }));
    if (opened) show(opened);
  }

  async function open(): Promise<void> {
    if (!mayDiscard()) return;
    const opened = await attempt(() => getApi().openProject());
    if (opened) show(opened);
    void attempt(refreshLists, { quiet: true });
  }

  async function openRecent(file: string): Promise<void> {
    if (!mayDiscard()) return;
    const opened = await attempt(() => getApi().openRecent({ path: file }));
    if (opened) show(opened);
    void attempt(refreshLists, { quiet: true });
  }

  /** Saves (or saves as); false when cancelled or failed. An edit made meanwhile stays unsaved. */
  async function save(as = false): Promise<boolean> {
    const graph = graphStore.graph;
    const project = content();
    const api = getApi();
    const saved: Saved | null | undefined = await attempt(() =>
      as ? api.saveProjectAs({ project }) : api.saveProject({ project }),
    );
    if (!saved) return false;
    path.value = saved.path;
    name.value = saved.name;
    if (graphStore.graph === graph) graphStore.markSaved();
    unsavedOnLoad.value = false;
    void attempt(refreshLists, { quiet: true });
    return true;
  }

  async function restoreBackup(id: string): Promise<void> {
    if (!mayDiscard()) return;
    const opened = await attempt(() => getApi().restoreBackup({ id }));
    if (!opened) return;
    show(opened);
    backups.value = backups.value.filter((b) => b.id !== id);
  }

  /**
   * A training run ended in the host: its record joined the project's history and its best weights became the
   * project's (the host holds them, unsaved). The graph is left alone: the window may have moved nodes meanwhile.
   */
  function trained(opened: OpenedProject): void {
    dataset.value = opened.project.dataset;
    history.value = opened.project.history;
    weights.value = opened.weights;
    weightsGraph.value = opened.weightsGraph;
    kept.value = opened.kept;
    weightsFrom.value = opened.weightsFrom;
    unsavedOnLoad.value = opened.dirty || unsavedOnLoad.value;
  }

  /** A kept weight set of an earlier run becomes the current weights (unsaved); true when it did. */
  async function restoreWeights(run: string, kind: KeptWeightsKind): Promise<boolean> {
    const opened = await attempt(() => getApi().restoreWeights({ run, kind }));
    if (!opened) return false;
    trained(opened);
    return true;
  }

  async function discardBackup(id: string): Promise<void> {
    const done = await attempt(() => getApi().discardBackup({ id }));
    if (done !== undefined) backups.value = backups.value.filter((b) => b.id !== id);
  }

  return {
    path,
    name,
    dirty,
    weights,
    weightsGraph,
    marks,
    kept,
    weightsFrom,
    settings,
    settingsLoads,
    setSettings,
    restoreWeights,
    dataset,
    history,
    error,
    notice,
    backups,
    recent,
    templates,
    info,
    busy,
    ready,
    start,
    newProject,
    open,
    openRecent,
    save,
    restoreBackup,
    discardBackup,
    trained,
  };
});

/** JSON with object keys sorted, so that the same settings compare equal whatever order their keys were set in. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}
