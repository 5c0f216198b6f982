import { z } from 'zod';
import { Graph, NodeId } from './graph';
import { FilePath, MenuCommand, TemplateId } from './menu';
import { KeptWeightsInfo, KeptWeightsKind, ProjectContent, TrainingRun, WeightEntry } from './project';
import {
  AugmentPreview,
  AugmentSettings,
  CellImages,
  ConfusionView,
  ConvolutionStep,
  DataSettings,
  DatasetChoice,
  DatasetReportView,
  DroppedPrediction,
  ExportFormatInfo,
  FeatureMaps,
  FilterView,
  GalleryPage,
  GallerySort,
  HistogramsView,
  Hyperparameters,
  ImageRef,
  Saliency,
  StartingProgress,
  Thumbnails,
  TrainingEnd,
  TrainingProgress,
  TrainingState,
} from './training';

/**
 * The one interface between the renderer and the host. Every request is declared once below with a schema for
 * its payload and one for its answer; the `Api` type is derived from that table, the Electron preload and the
 * WebSocket client build their functions from it, and both host transports validate with the same schemas.
 * Adding a function to the app is adding one entry to `requests` and one handler in src/host/server/handlers.ts.
 */

/** Nothing to send, or nothing to answer. */
const None = z.undefined();
const Done = z.null();

const IsoTime = z.iso.datetime();

/** A path relative to the in-page picker's root folder, '/'-separated; '' is the root itself. */
export const RelPath = z.string().max(4096);
export const DialogId = z.string().regex(/^[a-z0-9]{8,64}$/, 'a dialog id is lower-case letters and digits');
export const BackupId = z.string().regex(/^[a-z0-9-]{8,64}$/, 'a backup id is lower-case letters, digits and -');

export const AppInfo = z.strictObject({
  name: z.string(),
  version: z.string(),
  /** The runtime's versions, for the About box ("Electron 45.5.0, Node 22.20.0"). */
  runtime: z.string(),
  /** The machine's memory in bytes, which the status bar sets the network's estimate against. */
  memoryBytes: z.number().positive().optional(),
});

export const TemplateSummary = z.strictObject({
  id: TemplateId,
  name: z.string(),
  nodeCount: z.int().min(0),
  /** Why the template cannot be used, when its file is broken; it is listed so that the problem is seen. */
  problem: z.string().optional(),
});

export const Template = z.strictObject({ id: TemplateId, name: z.string(), graph: Graph });

/** A project as the window shows it. Its weights stay in the host; the window gets their names and shapes. */
export const OpenedProject = z.strictObject({
  /** The file it was opened from or last saved to; null until it is first saved. */
  path: FilePath.nullable(),
  /** What the title bar shows: the file name without .convas, else the project's name, else "Untitled". */
  name: z.string(),
  project: ProjectContent,
  weights: z.array(WeightEntry),
  /** graphVersion of the network the weights were trained on; null when unknown or there are none. */
  weightsGraph: z.string().nullable(),
  /** The weight sets kept for runs of the history, oldest first: any of them can become the current weights. */
  kept: z.array(KeptWeightsInfo),
  /** The kept set the current weights are (the last run's best, or the set restored last); null when unknown. */
  weightsFrom: z.strictObject({ run: z.iso.datetime(), kind: KeptWeightsKind }).nullable(),
  /** True when it holds changes not yet saved to `path` (a restored backup, a reload after a crash). */
  dirty: z.boolean(),
});

export const Saved = z.strictObject({ path: FilePath, name: z.string() });

export const RecentEntry = z.strictObject({
  path: FilePath,
  name: z.string(),
  openedAt: IsoTime,
  /** False when the file has since been moved or deleted. */
  exists: z.boolean(),
});

/** Unsaved work that an earlier run (or a closed browser tab) left behind. */
export const BackupInfo = z.strictObject({
  id: BackupId,
  name: z.string(),
  savedAt: IsoTime,
  originalPath: FilePath.nullable(),
});

/** What the window should do when it (re)loads. */
export const Startup = z.strictObject({
  /** The project this window already had, when it reloads (after a crash or a refresh): nothing is lost. */
  project: OpenedProject.nullable(),
  /** What happened, when the window is reloading because its renderer crashed. */
  crash: z.string().nullable(),
  /** Backups of unsaved work left by a crash, newest first; the window offers to restore them. */
  backups: z.array(BackupInfo),
  /** A file the operating system asked to open (double-click, command line). */
  fileToOpen: z.strictObject({ path: FilePath, name: z.string() }).nullable(),
});

/** Asks the window to show an in-page file picker (only the browser mode, which has no native dialogs). */
export const DialogRequest = z.strictObject({
  dialogId: DialogId,
  kind: z.enum(['open', 'save', 'folder']),
  title: z.string(),
  /** File extensions shown, with the dot ('.convas'); empty for folder pickers. */
  extensions: z.array(z.string()),
  /** For save pickers: the suggested file name. */
  defaultName: z.string().optional(),
});

export const Listing = z.strictObject({
  folder: RelPath,
  /** The folder above, or null at the root (the picker never goes above it). */
  parent: RelPath.nullable(),
  /** The root folder's absolute path, shown as the start of the breadcrumb. */
  root: z.string(),
  entries: z.array(
    z.strictObject({
      name: z.string(),
      kind: z.enum(['folder', 'file']),
      /** Present (true) when the entry is a symbolic link; `kind` is what it leads to. */
      link: z.literal(true).optional(),
    }),
  ),
  /** True when the folder holds more entries than a listing returns. */
  truncated: z.boolean(),
  /** The user's home folder relative to the root, or null when it is outside it (the picker then starts at the root). */
  home: RelPath.nullable(),
  /** True when the server was started with `--root` below the file system's root: nothing above it is reachable. */
  confined: z.boolean(),
  /** How many links here lead outside the root (not listed, since they could not be opened). */
  hiddenLinks: z.int().min(0),
});

const spec = <Req extends z.ZodType, Res extends z.ZodType>(request: Req, response: Res) => ({ request, response });
const WithProject = z.strictObject({ project: ProjectContent });

/** A dropped image as base64: at most 16 MiB of file (the host decodes it under the dataset service's pixel cap). */
export const MAX_DROPPED_IMAGE_BYTES = 16 * 2 ** 20;
const Base64 = z
  .string()
  .max(Math.ceil(MAX_DROPPED_IMAGE_BYTES / 3) * 4, { error: 'the image is larger than 16 MB' })
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, { error: 'the image data is not base64' });
const ClassIndex = z.int().min(0).max(100_000);
/**
 * One run as the user set it up: the network as the canvas has it, how its images become the input, and the
 * hyperparameters. This one object travels unchanged from the window to the training session and on to every
 * training worker (which reads its graph and hyperparameters), so no layer re-shapes the settings on the way.
 */
export const TrainingPlan = z.strictObject({ graph: Graph, data: DataSettings, hyper: Hyperparameters });
export type TrainingPlan = z.infer<typeof TrainingPlan>;

/** What a training run needs: the plan, and which images. */
const TrainingRequest = TrainingPlan.extend({
  dataset: DatasetChoice,
  /** From the project's current weights (the layers that still fit) or from a fresh initialisation. */
  start: z.enum(['scratch', 'continue']).default('scratch'),
});

/** Every request: its name, what the renderer sends, what the host answers. */
export const requests = {
  /** Echoes a message: the round-trip check of a transport. */
  ping: spec(
    z.strictObject({ message: z.string().max(1000) }),
    z.strictObject({ message: z.string(), at: z.number() }),
  ),
  /** Name, version and runtime, for the About box. */
  appInfo: spec(None, AppInfo),
  /** Called once when the window loads: the project to show again, a crash to report, backups to offer. */
  startup: spec(None, Startup),
  /** The templates in resources/templates, for File › New from Template. */
  listTemplates: spec(None, z.array(TemplateSummary)),
  /** One template's graph. */
  loadTemplate: spec(z.strictObject({ id: TemplateId }), Template),
  /** Starts a new, unsaved project, empty or from a template; the window asks about unsaved changes first. */
  newProject: spec(z.strictObject({ templateId: TemplateId.optional() }), OpenedProject),
  /** Opens a project chosen with the open dialog; null when the user cancels. */
  openProject: spec(None, OpenedProject.nullable()),
  /** Opens a file from the recent list (or one the OS asked to open); any other path is refused. */
  openRecent: spec(z.strictObject({ path: FilePath }), OpenedProject),
  /** The recently opened and saved projects, newest first. */
  listRecent: spec(None, z.array(RecentEntry)),
  /** Saves to the project's file, asking where first if it has none; null when the user cancels. */
  saveProject: spec(WithProject, Saved.nullable()),
  /** Saves to a file chosen with the save dialog; null when the user cancels. */
  saveProjectAs: spec(WithProject, Saved.nullable()),
  /** Tells the host about an edit: it marks the project unsaved and backs it up a few seconds later. */
  projectChanged: spec(WithProject, Done),
  /** Takes over a backup offered by `startup`: it becomes this window's unsaved project. */
  restoreBackup: spec(z.strictObject({ id: BackupId }), OpenedProject),
  /** Deletes a backup offered by `startup`. */
  discardBackup: spec(z.strictObject({ id: BackupId }), Done),
  /** A folder chosen with the folder dialog (a dataset location); null when the user cancels. */
  pickFolder: spec(
    z.strictObject({ title: z.string().max(200).optional() }),
    z.strictObject({ path: FilePath }).nullable(),
  ),
  /** In-page pickers: the entries of a folder under the picker's root, for the dialog `dialogId`. */
  browse: spec(z.strictObject({ dialogId: DialogId, folder: RelPath }), Listing),
  /** In-page pickers: the user's choice (a path relative to the root) or null for cancel. */
  answerDialog: spec(z.strictObject({ dialogId: DialogId, path: RelPath.nullable() }), Done),
  /** In-page pickers: makes the folder `name` in `folder` and answers with its path relative to the root. */
  makeFolder: spec(
    z.strictObject({ dialogId: DialogId, folder: RelPath, name: z.string().min(1).max(255) }),
    z.strictObject({ folder: RelPath }),
  ),

  // ---- Data: the dataset report, thumbnails and augmentation (datasets come from pickFolder or the project) ----
  /** Scans the chosen images and reports what they hold and what is wrong with them. */
  datasetReport: spec(
    z.strictObject({ dataset: DatasetChoice, validationFraction: DataSettings.shape.validationFraction }),
    DatasetReportView,
  ),
  /** The first few training images of each class. */
  datasetThumbnails: spec(z.strictObject({ dataset: DatasetChoice, perClass: z.int().min(1).max(8) }), Thumbnails),
  /** A grid of augmented copies of a few training images, as training would see them. */
  augmentPreview: spec(
    z.strictObject({
      dataset: DatasetChoice,
      augment: AugmentSettings,
      seed: z
        .int()
        .min(0)
        .max(2 ** 31 - 1),
    }),
    AugmentPreview,
  ),

  // ---- Train ----
  /** Starts a run (refused with the node at fault when the graph does not compile); progress comes as events. */
  startTraining: spec(TrainingRequest, TrainingState),
  pauseTraining: spec(None, TrainingState),
  resumeTraining: spec(None, TrainingState),
  /**
   * Starts the last run again from its checkpoint (see TrainingEnd.resumeFrom), with its graph, dataset and settings;
   * refused when the network sent differs from the run's or there is no checkpoint.
   */
  resumeFromCheckpoint: spec(z.strictObject({ graph: Graph }), TrainingState),
  /** Ends the run after its current step; its best weights still become the project's. */
  stopTraining: spec(None, TrainingState),
  /** Where training is, with every point of the current or last run (for a window that reloads). */
  trainingState: spec(None, TrainingState),
  /** Makes the project's saved weights inspectable (a trained project opened from a file), on its dataset. */
  prepareInspection: spec(TrainingRequest.omit({ hyper: true, start: true }), TrainingState),
  /** A weight set kept for a run of the history becomes the project's current weights (unsaved). */
  restoreWeights: spec(z.strictObject({ run: z.iso.datetime(), kind: KeptWeightsKind }), OpenedProject),

  // ---- Inspect: the network of the current or last run, on its validation images ----
  confusion: spec(None, ConfusionView),
  /** The validation images of one confusion-matrix cell, least confident first. */
  cellImages: spec(
    z.strictObject({ actual: ClassIndex, predicted: ClassIndex, limit: z.int().min(1).max(200) }),
    CellImages,
  ),
  gallery: spec(
    z.strictObject({ sort: GallerySort, offset: z.int().min(0), limit: z.int().min(1).max(200) }),
    GalleryPage,
  ),
  /** Classifies an image the user dropped; it becomes the `dropped` image of the other inspections. */
  predictImage: spec(z.strictObject({ name: z.string().max(255), data: Base64 }), DroppedPrediction),
  featureMaps: spec(z.strictObject({ nodeId: NodeId, image: ImageRef }), FeatureMaps),
  /** Which node's feature maps to stream while training runs (a few frames a second); null stops them. */
  watchFeatureMaps: spec(z.strictObject({ nodeId: NodeId.nullable(), image: ImageRef }), Done),
  filters: spec(z.strictObject({ nodeId: NodeId }), FilterView),
  histograms: spec(z.strictObject({ nodeId: NodeId }), HistogramsView),
  convolutionStep: spec(
    z.strictObject({
      nodeId: NodeId,
      image: ImageRef,
      filter: z.int().min(0).max(100_000),
      y: z.int().min(0).max(100_000),
      x: z.int().min(0).max(100_000),
    }),
    ConvolutionStep,
  ),
  /** Gradient saliency for an image: which pixels drove the score of `classIndex` (default: the predicted class). */
  saliency: spec(z.strictObject({ image: ImageRef, classIndex: ClassIndex.optional() }), Saliency),

  // ---- Export ----
  listExportFormats: spec(None, z.array(ExportFormatInfo)),
  /** Exports the trained network in a format, to a place chosen with the save dialog; null when cancelled. */
  exportModel: spec(
    z.strictObject({ formatId: z.string().max(64), graph: Graph }),
    z.strictObject({ paths: z.array(FilePath) }).nullable(),
  ),
};

/** Every event the host sends to the window. */
export const events = {
  /** A menu item was chosen (only the desktop app has a native menu). */
  menuCommand: MenuCommand,
  /** The OS asked the running app to open a file (a second launch, a double-click); the window calls openRecent. */
  fileOpenRequested: z.strictObject({ path: FilePath, name: z.string() }),
  /** The host needs a file or folder chosen and has no native dialog: the window shows its in-page picker. */
  dialogRequest: DialogRequest,
  /** A run is starting (the startTraining answer comes once it has): what it is doing, for a progress bar. */
  trainingStarting: StartingProgress,
  /** Training progress, a few times a second: every step's loss (never dropped), finished epochs, the status. */
  trainingProgress: TrainingProgress,
  /** The latest feature maps of the watched node during a run (frames may be skipped; the latest wins). */
  featureMapFrame: FeatureMaps,
  /** A run ended: how, the record added to the project's history, and the project with its new weights. */
  trainingEnded: z.strictObject({
    runId: z.string(),
    end: TrainingEnd,
    run: TrainingRun,
    /** The project as the host now holds it (unsaved), or null when the run left it unchanged. */
    project: OpenedProject.nullable(),
  }),
};

export type Requests = typeof requests;
export type RequestName = keyof Requests;
export type EventName = keyof typeof events;
/** What a caller passes for a request (before the schema's defaults and transforms). */
export type RequestOf<K extends RequestName> = z.input<Requests[K]['request']>;
/** What a handler receives, after validation. */
export type ParsedRequestOf<K extends RequestName> = z.output<Requests[K]['request']>;
export type ResponseOf<K extends RequestName> = z.output<Requests[K]['response']>;
export type EventOf<E extends EventName> = z.output<(typeof events)[E]>;

export type AppInfo = z.infer<typeof AppInfo>;
export type TemplateSummary = z.infer<typeof TemplateSummary>;
export type Template = z.infer<typeof Template>;
export type OpenedProject = z.infer<typeof OpenedProject>;
export type Saved = z.infer<typeof Saved>;
export type RecentEntry = z.infer<typeof RecentEntry>;
export type BackupInfo = z.infer<typeof BackupInfo>;
export type Startup = z.infer<typeof Startup>;
export type DialogRequest = z.infer<typeof DialogRequest>;
export type Listing = z.infer<typeof Listing>;

/** The request functions: one per entry of `requests`, without an argument when the request carries nothing. */
export type ApiRequests = {
  [K in RequestName]: RequestOf<K> extends undefined
    ? () => Promise<ResponseOf<K>>
    : (request: RequestOf<K>) => Promise<ResponseOf<K>>;
};

/** What the renderer holds: the request functions and typed event subscriptions. */
export interface Api extends ApiRequests {
  /** Calls `listener` for each `event` the host sends; returns the function that unsubscribes. */
  on<E extends EventName>(event: E, listener: (payload: EventOf<E>) => void): () => void;
}

export const REQUEST_NAMES = Object.keys(requests) as RequestName[];
export const EVENT_NAMES = Object.keys(events) as EventName[];

/**
 * How an answer travels on both transports: a value, or the error's message. Electron's own rejection text
 * ("Error invoking remote method …") would otherwise reach the user; with this the host's message arrives as written.
 */
export type Envelope = { ok: true; value: unknown } | { ok: false; error: { name: string; message: string } };

/** An error the host reported for a request; the message is the host's, meant for the user. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    message: string,
    /** The name of the host-side error ('SchemaError', 'ProjectFileError', …). */
    readonly hostName = 'Error',
  ) {
    super(message);
  }
}

/** The Electron channel of a request or event: prefixed so that it never collides with Electron's own. */
export const channelOf = (name: RequestName | EventName): string => `convas:${name}`;
