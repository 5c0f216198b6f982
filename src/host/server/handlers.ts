import type { ProjectSession } from '../project/session';
import type { HostServices } from '../project/services';
import type { Workbench } from '../workbench';
import type { Handlers } from './dispatch';
import type { InPagePicker } from './picker';

/** Refuses the in-page picker requests where the host has native dialogs (the desktop app). */
function noPicker(): never {
  throw new Error('this window has native file dialogs; in-page pickers are only used in the browser mode');
}

/**
 * The host side of every request, for one window (or browser tab): the Electron main process and the
 * browser-mode server both serve these, each with its own dialogs. Payloads arrive already validated.
 * The Data, Train and Inspect views' requests go to the window's Workbench; opening or replacing the project
 * tells it first (a run in progress stops and its result goes to the project it belongs to).
 */
export function createHandlers(
  services: HostServices,
  session: ProjectSession,
  picker: InPagePicker | undefined,
  workbench: Workbench,
): Handlers {
  /** Replaces the project after the workbench has let go of the current one. */
  const replacing = async <T>(replace: () => Promise<T>): Promise<T> => {
    await workbench.beforeProjectChange();
    return replace();
  };
  return {
    ping: ({ message }) => ({ message, at: Date.now() }),
    appInfo: () => services.app,
    startup: () => session.startup(),
    listTemplates: () => services.templates.list(),
    loadTemplate: ({ id }) => services.templates.load(id),
    newProject: ({ templateId }) => replacing(() => session.newProject(templateId)),
    openProject: () => replacing(async () => workbench.opened(await session.open())),
    openRecent: ({ path }) => replacing(async () => workbench.opened(await session.openRecent(path))),
    listRecent: () => session.listRecent(),
    saveProject: ({ project }) => session.save(project),
    saveProjectAs: ({ project }) => session.saveAs(project),
    projectChanged: ({ project }) => {
      session.changed(project);
      return null;
    },
    restoreBackup: ({ id }) => replacing(() => session.restoreBackup(id)),
    discardBackup: async ({ id }) => {
      await session.discardBackup(id);
      return null;
    },
    pickFolder: ({ title }) => workbench.pickFolder(title ?? 'Choose a folder'),
    browse: ({ dialogId, folder }) => (picker ? picker.browse(dialogId, folder) : noPicker()),
    answerDialog: async ({ dialogId, path }) => {
      if (!picker) noPicker();
      await picker.answer(dialogId, path);
      return null;
    },
    makeFolder: ({ dialogId, folder, name }) => (picker ? picker.makeFolder(dialogId, folder, name) : noPicker()),

    datasetReport: (r) => workbench.datasetReport(r),
    datasetThumbnails: (r) => workbench.datasetThumbnails(r),
    augmentPreview: (r) => workbench.augmentPreview(r),

    startTraining: (r) => workbench.startTraining(r),
    pauseTraining: () => workbench.pause(),
    resumeTraining: () => workbench.resume(),
    resumeFromCheckpoint: (r) => workbench.resumeFromCheckpoint(r),
    stopTraining: () => workbench.stop(),
    trainingState: () => workbench.state(),
    prepareInspection: (r) => workbench.prepareInspection(r),
    restoreWeights: async (r) => workbench.restoreWeights(r),

    confusion: () => workbench.confusion(),
    cellImages: (r) => workbench.cellImages(r),
    gallery: (r) => workbench.gallery(r),
    predictImage: (r) => workbench.predictImage(r),
    featureMaps: (r) => workbench.featureMaps(r),
    watchFeatureMaps: (r) => workbench.watchFeatureMaps(r),
    filters: ({ nodeId }) => workbench.filters(nodeId),
    histograms: ({ nodeId }) => workbench.histograms(nodeId),
    convolutionStep: (r) => workbench.convolutionStep(r),
    saliency: (r) => workbench.saliency(r),

    listExportFormats: () => workbench.listExportFormats(),
    exportModel: (r) => workbench.exportModel(r),
  };
}
