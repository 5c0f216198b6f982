import { randomUUID } from 'node:crypto';
import type { NamedWeights } from '../../engine/network';
import type { OpenedProject, RecentEntry, Saved, Startup } from '../../shared/api';
import { emptyGraph } from '../../shared/graph';
import { newProjectContent, PROJECT_EXTENSION, type KeptWeightsKind, type ProjectContent } from '../../shared/project';
import { withExtension, type Dialogs } from './dialogs';
import {
  keptWithin,
  startSet,
  readProjectFile,
  writeProjectFile,
  type KeptWeights,
  type LoadedProject,
  type WeightsExtra,
} from './project-file';
import { projectNameOf } from './recent';
import type { HostServices } from './services';

/** A request the session refuses (a path it was not offered, a backup that is not left over), with the reason. */
export class SessionError extends Error {
  override name = 'SessionError';
}

export interface SessionOptions {
  /** Throws when a path may not be used here (the browser mode confines files to its root folder). */
  checkPath?: (path: string) => Promise<void>;
}

/**
 * One window's project, held in the host: its file, its weights, whether it has unsaved changes, and the
 * latest content the window reported. Because the host keeps it, a window that crashes and reloads gets its
 * project back (`startup`), and unsaved work is backed up a few seconds after each change.
 */
export class ProjectSession {
  readonly id = randomUUID();
  private path: string | null = null;
  private content: ProjectContent | null = null;
  private weights: NamedWeights = {};
  /** graphVersion of the network the weights were trained on (null: unknown, or no weights). */
  private weightsGraph: string | null = null;
  /** Weight sets kept for runs of the history, oldest first. */
  private kept: KeptWeights[] = [];
  /** Which kept set the current weights are, while this session knows it. */
  private weightsFrom: { run: string; kind: KeptWeightsKind } | null = null;
  /** Bumped by every change; a save records the revision it wrote, so an edit made during a save stays unsaved. */
  private revision = 0;
  private savedRevision = 0;
  private crash: string | null = null;
  /** Files the OS offered, still being added to the recent list (see offerFile). */
  private offering: Promise<void> = Promise.resolve();
  private fileToOpen: string | null = null;
  private backupTimer: ReturnType<typeof setTimeout> | null = null;
  /** Backup writes and removals run one after another, so that a late write never resurrects a removed backup. */
  private backupQueue: Promise<void> = Promise.resolve();
  private backupError: string | null = null;
  private closed = false;

  constructor(
    private readonly services: HostServices,
    private readonly dialogs: Dialogs,
    private readonly options: SessionOptions = {},
  ) {
    services.running.add(this.id);
  }

  get dirty(): boolean {
    return this.revision !== this.savedRevision;
  }

  /** What the window needs when it loads; the crash report is given once. */
  async startup(): Promise<Startup> {
    // A file the OS asked to open at launch may still be joining the recent list; the window must see it.
    await this.offering;
    const crash = this.crash;
    this.crash = null;
    const file = this.fileToOpen;
    return {
      project: this.content ? this.opened() : null,
      crash,
      backups: await this.services.backups.list(this.services.running),
      fileToOpen: file ? { path: file, name: projectNameOf(file) } : null,
    };
  }

  /** Records why the window is being reloaded; its next `startup` reports it. */
  noteCrash(message: string): void {
    this.crash = message;
  }

  /**
   * A file the operating system asked to open. It joins the recent list, which is what lets the window
   * open it by path; the window is told on its next `startup` (or by an event when it is already running).
   */
  offerFile(path: string): Promise<void> {
    const added = this.offering.then(async () => {
      await this.services.recent.add(path);
      this.fileToOpen = path;
    });
    // Later offers and startup() wait for this one; a failure to record it is reported to this caller only.
    this.offering = added.catch(() => undefined);
    return added;
  }

  async newProject(templateId?: string): Promise<OpenedProject> {
    const template = templateId === undefined ? null : await this.services.templates.load(templateId);
    const graph = template ? template.graph : emptyGraph();
    this.replace(null, newProjectContent(graph, template?.name), {});
    return this.opened();
  }

  /** Opens a project chosen with the open dialog; null when the user cancels. */
  async open(): Promise<OpenedProject | null> {
    const path = await this.dialogs.openFile({ title: 'Open project', extensions: [PROJECT_EXTENSION] });
    return path === null ? null : this.openPath(path);
  }

  /** Opens a file from the recent list; any other path is refused. */
  async openRecent(path: string): Promise<OpenedProject> {
    if (!(await this.services.recent.has(path))) {
      throw new SessionError(`'${path}' is not in the recent list; open it with File › Open`);
    }
    return this.openPath(path);
  }

  /** The recent list, without the files this session may not use. */
  async listRecent(): Promise<RecentEntry[]> {
    const all = await this.services.recent.list();
    const check = this.options.checkPath;
    if (!check) return all;
    const usable = await Promise.all(
      all.map((e) =>
        check(e.path).then(
          () => true,
          () => false,
        ),
      ),
    );
    return all.filter((_, i) => usable[i]);
  }

  async save(content: ProjectContent): Promise<Saved | null> {
    return this.path === null ? this.saveAs(content) : this.saveTo(this.path, content, this.revision);
  }

  async saveAs(content: ProjectContent): Promise<Saved | null> {
    // The revision is taken now: an edit made while the dialog is open is not in `content`.
    const revision = this.revision;
    const suggested = this.path ? projectNameOf(this.path) : (content.name ?? 'Untitled');
    const chosen = await this.dialogs.saveFile({
      title: 'Save project',
      extensions: [PROJECT_EXTENSION],
      defaultName: `${suggested.replace(/[\\/:*?"<>|]+/g, '_')}${PROJECT_EXTENSION}`,
    });
    return chosen === null ? null : this.saveTo(withExtension(chosen, PROJECT_EXTENSION), content, revision);
  }

  /** Saves the latest content the window reported (the close prompt's Save); false when the user cancels. */
  async saveLatest(): Promise<boolean> {
    if (!this.content) return true;
    return (await this.save(this.content)) !== null;
  }

  /** An edit: the content becomes unsaved, and its backup is written a few seconds later. */
  changed(content: ProjectContent): void {
    this.content = content;
    this.revision++;
    this.scheduleBackup();
    if (this.backupError) {
      const message = this.backupError;
      this.backupError = null;
      throw new SessionError(`the automatic backup of unsaved work failed: ${message}`);
    }
  }

  /** Takes over a backup left by a crash: it becomes this session's unsaved project. */
  async restoreBackup(id: string): Promise<OpenedProject> {
    await this.requireLeftover(id);
    const backup = await this.services.backups.read(id);
    // The file it came from is kept as its path only where this session may still write it.
    let path = backup.meta.originalPath;
    if (path !== null && this.options.checkPath)
      path = await this.options.checkPath(path).then(
        () => path,
        () => null,
      );
    this.replace(path, contentOf(backup), backup.weights, backup);
    this.revision++;
    await this.queueBackup(() => this.services.backups.adopt(id, this.id));
    return this.opened();
  }

  async discardBackup(id: string): Promise<void> {
    await this.requireLeftover(id);
    await this.services.backups.remove(id);
  }

  async pickFolder(title: string): Promise<{ path: string } | null> {
    const path = await this.dialogs.pickFolder({ title });
    if (path === null) return null;
    await this.options.checkPath?.(path);
    return { path };
  }

  /** The project's weights (none for an untrained project), for inspecting and exporting. Do not modify them. */
  get currentWeights(): NamedWeights {
    return this.weights;
  }

  /** The class names the project knows (its dataset's, else an imported model's), for exports' metadata. */
  get classNames(): readonly string[] | undefined {
    return this.content?.dataset?.classes ?? this.content?.classes;
  }

  /**
   * A training run ended: `weights` (when given) become the project's, and `record` adds the run to its content
   * (history, dataset). The project becomes unsaved and is backed up like any edit. Returns what the window shows.
   */
  adoptTraining(
    weights: NamedWeights | null,
    record: (content: ProjectContent) => ProjectContent,
    trained: { graphVersion: string; kept: readonly KeptWeights[] } = { graphVersion: '', kept: [] },
  ): OpenedProject {
    if (!this.content) throw new SessionError('there is no project to record the training run in');
    if (weights) {
      const run = trained.kept[0]?.run;
      // Weights no kept set holds (an import) stay restorable as the weights this run started from.
      const replaced = run ? startSet(run, this.weights, this.weightsGraph, this.kept) : [];
      trained = { ...trained, kept: [...replaced, ...trained.kept] };
      this.weights = weights;
      this.weightsGraph = trained.graphVersion || null;
      const best = trained.kept.find((k) => k.kind === 'best');
      this.weightsFrom = best ? { run: best.run, kind: 'best' } : null;
    }
    this.content = record(this.content);
    // A resumed run's sets replace those it kept before.
    const runs = new Set(trained.kept.map((k) => k.run));
    this.kept = [...this.kept.filter((k) => !runs.has(k.run)), ...trained.kept];
    this.kept = keptWithin(this.kept, this.content);
    this.revision++;
    this.scheduleBackup();
    return this.opened();
  }

  /** The weights of the network as the weights were trained on, and the sets kept for runs. */
  get weightsExtra(): Required<WeightsExtra> {
    return { weightsGraph: this.weightsGraph, kept: this.kept };
  }

  /**
   * A kept weight set of an earlier run becomes the current weights (the current ones stay kept if they were a
   * run's). The project becomes unsaved.
   */
  restoreKept(run: string, kind: KeptWeightsKind): OpenedProject {
    if (!this.content) throw new SessionError('there is no project to restore weights in');
    const set = this.kept.find((k) => k.run === run && k.kind === kind);
    if (!set) throw new SessionError(`the ${kind} weights of the run of ${run} are not kept in this project`);
    this.weights = set.weights;
    this.weightsGraph = set.graphVersion;
    this.weightsFrom = { run, kind };
    this.revision++;
    this.scheduleBackup();
    return this.opened();
  }

  /** Writes a backup of the unsaved work a few seconds after an edit; a burst of edits makes one write. */
  private scheduleBackup(): void {
    if (this.backupTimer || this.closed) return;
    this.backupTimer = setTimeout(() => {
      this.backupTimer = null;
      void this.writeBackup();
    }, this.services.autosaveMs);
  }

  /** Forgets unsaved changes the user chose not to keep (Don't Save on close): the backup goes too. */
  async discardUnsaved(): Promise<void> {
    this.savedRevision = this.revision;
    await this.queueBackup(() => this.services.backups.remove(this.id));
  }

  /** Ends the session. Unsaved work is backed up at once, so that it is offered the next time. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.backupTimer) clearTimeout(this.backupTimer);
    this.backupTimer = null;
    await this.writeBackup();
    this.services.running.delete(this.id);
  }

  /** Waits for backup writes in flight (tests and shutdown). */
  async settle(): Promise<void> {
    await this.backupQueue;
  }

  private async openPath(path: string): Promise<OpenedProject> {
    await this.options.checkPath?.(path);
    const loaded = await readProjectFile(path);
    await this.services.recent.add(path);
    if (this.fileToOpen === path) this.fileToOpen = null;
    this.replace(path, contentOf(loaded), loaded.weights, loaded);
    return this.opened();
  }

  /** Writes `content`, which is the project as of `revision`; later edits stay unsaved. */
  private async saveTo(path: string, content: ProjectContent, revision: number): Promise<Saved> {
    await this.options.checkPath?.(path);
    await writeProjectFile(path, content, this.weights, undefined, {
      weightsGraph: this.weightsGraph,
      kept: keptWithin(this.kept, content),
    });
    this.path = path;
    // An edit reported while the file was being written is newer than what was saved: keep it, still unsaved.
    if (this.revision === revision) this.content = content;
    this.savedRevision = revision;
    await this.services.recent.add(path);
    if (!this.dirty) await this.queueBackup(() => this.services.backups.remove(this.id));
    return { path, name: projectNameOf(path) };
  }

  /** Makes another project the current one, dropping this session's backup: the window has asked the user. */
  private replace(
    path: string | null,
    content: ProjectContent,
    weights: NamedWeights,
    extra: { weightsGraph?: string | null; kept?: KeptWeights[] } = {},
  ): void {
    this.path = path;
    this.content = content;
    this.weights = weights;
    this.weightsGraph = extra.weightsGraph ?? null;
    this.kept = extra.kept ?? [];
    this.weightsFrom = null;
    this.savedRevision = this.revision;
    void this.queueBackup(() => this.services.backups.remove(this.id));
  }

  private opened(): OpenedProject {
    const content = this.content!;
    return {
      path: this.path,
      name: this.path ? projectNameOf(this.path) : (content.name ?? 'Untitled'),
      project: content,
      weights: Object.keys(this.weights)
        .sort()
        .map((name) => ({ name, shape: [...this.weights[name].shape] })),
      weightsGraph: this.weightsGraph,
      kept: this.kept.map(({ weights: _weights, ...info }) => info),
      weightsFrom: this.weightsFrom,
      dirty: this.dirty,
    };
  }

  private writeBackup(): Promise<void> {
    return this.queueBackup(async () => {
      if (!this.dirty || !this.content) return;
      await this.services.backups.write(this.id, this.content, this.weights, this.path, this.weightsExtra);
    });
  }

  private queueBackup(task: () => Promise<void>): Promise<void> {
    const next = this.backupQueue.then(task).catch((e: Error) => {
      this.backupError = e.message;
    });
    this.backupQueue = next;
    return next;
  }

  /** Only a backup no running session owns may be restored or discarded. */
  private async requireLeftover(id: string): Promise<void> {
    const leftovers = await this.services.backups.list(this.services.running);
    if (!leftovers.some((b) => b.id === id)) throw new SessionError(`there is no backup '${id}' to restore or discard`);
  }
}

function contentOf(loaded: LoadedProject): ProjectContent {
  const { name, graph, dataset, history, settings } = loaded.file;
  return {
    ...(name === undefined ? {} : { name }),
    graph,
    dataset,
    history,
    ...(settings === undefined ? {} : { settings }),
  };
}
