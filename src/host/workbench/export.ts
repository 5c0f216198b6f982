import { compileGraph, sizeOf, weightFit, type CompiledGraph, type NamedWeights } from '../../engine';
import { getFormat, listFormats } from '../../engine/formats';
import type { Graph } from '../../shared/graph';
import type { ExportFormatInfo } from '../../shared/training';
import { exportToPath } from '../export';
import type { Dialogs } from '../project/dialogs';
import type { ProjectSession } from '../project/session';
import { compileForTraining } from './compile';

/** The formats the exporters support, for the export dialog. */
export function exportFormats(): ExportFormatInfo[] {
  return listFormats().map((f) => ({
    id: f.id,
    label: f.label,
    extensions: [...f.extensions],
    preserves: f.preserves,
    singleFile: f.singleFile,
  }));
}

/** A file-safe base name from the project's name. */
function baseName(name: string | undefined): string {
  const safe = (name ?? '').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '');
  return safe || 'model';
}

/**
 * Exports `graph` with `weights` in a format, to a place the user picks with the save dialog (never a path from
 * the window): the file itself for a single-file format, else a new folder that receives the files. Returns the
 * paths written, or null when the user cancels. Nothing is written unless the export is complete.
 */
export async function exportWithDialog(
  dialogs: Dialogs,
  formatId: string,
  graph: Graph,
  weights: NamedWeights,
  checkPath?: (path: string) => Promise<void>,
  classes?: readonly string[],
): Promise<{ paths: string[] } | null> {
  const format = getFormat(formatId);
  if (!format) {
    throw new Error(
      `there is no export format '${formatId}'; choose ${exportFormats()
        .map((f) => f.id)
        .join(', ')}`,
    );
  }
  if (Object.keys(weights).length === 0) {
    throw new Error('the project has no trained weights to export yet; train the network first');
  }
  const name = baseName(graph.name);
  const target = format.singleFile
    ? await dialogs.saveFile({
        title: `Export as ${format.label}`,
        extensions: [format.extensions[0]],
        defaultName: `${name}${format.extensions[0]}`,
      })
    : await dialogs.saveFile({
        title: `Export as ${format.label} (a folder for its files)`,
        extensions: [],
        defaultName: `${name}-${format.id}`,
      });
  if (target === null) return null;
  await checkPath?.(target);
  // The names go into the files' metadata when they still fit the network (one per output).
  const fits = classes && classes.length === sizeOf(compileGraph(graph).outputShape);
  return { paths: await exportToPath(formatId, graph, weights, target, { name, ...(fits ? { classes } : {}) }) };
}

/** What exporting needs of the window: the project's weights and class names, the save dialog, the path rule. */
export interface ExportContext {
  session: Pick<ProjectSession, 'currentWeights' | 'classNames'>;
  dialogs: Dialogs;
  checkPath?: (path: string) => Promise<void>;
}

/** Exports the project's weights with the graph on the canvas (exportWithDialog), unless they do not fit it. */
export function exportProject(o: ExportContext, formatId: string, graph: Graph): Promise<{ paths: string[] } | null> {
  const { session } = o;
  // Said before any dialog opens (a throw, not a rejection, as before): weights that do not fit cannot be exported.
  const misfit = misfitReason(compileForTraining(graph), session.currentWeights);
  if (misfit) throw new Error(misfit);
  return exportWithDialog(o.dialogs, formatId, graph, session.currentWeights, o.checkPath, session.classNames);
}

/** Why the project's weights cannot be exported with this graph (the first layer that does not fit), or null. */
export function misfitReason(compiled: CompiledGraph, weights: NamedWeights): string | null {
  const have = Object.entries(weights).map(([name, t]) => ({ name, shape: t.shape }));
  if (have.length === 0) return null;
  const bad = weightFit(compiled, have).filter((f) => !f.fits);
  if (bad.length === 0) return null;
  const first = bad[0];
  return (
    `the trained weights do not fit the network on the canvas: ${first.nodeId}: ${first.reason}` +
    (bad.length > 1 ? ` (and ${bad.length - 1} more layer${bad.length > 2 ? 's' : ''})` : '') +
    '; train it (Continue keeps the layers that still fit) before exporting'
  );
}
