import type { OpenedProject } from '../../shared/api';
import { sampleDatasetPath } from '../datasets';
import type { ProjectSession } from '../project/session';
import { graphVersion } from './record';
import type { Run, RunResult } from './run';
import { TrustedDatasets } from './trusted';

/**
 * A run's result joins the window's project, so that Save writes it: its best weights become the project's (with
 * the dataset they were trained on), its record joins the history and its weight sets are kept. Returns what the
 * window shows, or null when there is no project to record it in (the window never loaded one): the window still
 * hears how the run ended.
 */
export function adoptRun(
  session: Pick<ProjectSession, 'adoptTraining'>,
  run: Run,
  result: RunResult,
  root: string,
): OpenedProject | null {
  try {
    const location = { path: TrustedDatasets.isSample(root) ? sampleDatasetPath() : root, classes: [...run.classes] };
    return session.adoptTraining(
      result.weights,
      (content) => ({
        ...content,
        ...(result.weights ? { dataset: location } : {}),
        // A resumed run replaces the record of the run it continues: each epoch is in the history once.
        history: [
          ...content.history.filter((h) => !run.resumed || h.startedAt !== result.record.startedAt),
          result.record,
        ].slice(-1000),
      }),
      { graphVersion: graphVersion(run.settings.plan.graph), kept: result.kept },
    );
  } catch {
    return null;
  }
}
