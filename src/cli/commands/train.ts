import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { compileGraph, OPTIMIZER_KINDS, transferWeights, type NamedWeights } from '../../engine';
import { sampleDatasetPath } from '../../host/datasets';
import {
  keptWithin,
  startSet,
  readProjectFile,
  writeProjectFile,
  type KeptWeights,
  type LoadedProject,
} from '../../host/project/project-file';
import {
  CheckpointWriteError,
  epochRecord,
  openFolder,
  readCheckpoint,
  runRecord,
  TrainingSession,
  type EpochEvent,
  type SessionEnd,
} from '../../host/session';
import { readUntrustedFile, UntrustedFileError } from '../../host/files/read-untrusted';
import type { TrainingPlan } from '../../shared/api';
import { parseGraph, type Graph } from '../../shared/graph';
import { graphVersion } from '../../shared/graph-version';
import { toMetric, type ProjectContent } from '../../shared/project';
import { parseUntrustedJson, UntrustedJsonError } from '../../shared/safe-json';
import {
  AugmentSettings,
  DEFAULT_LEARNING_RATES,
  defaultProjectSettings,
  SCHEDULES,
  type ProjectSettings,
} from '../../shared/training';
import { choiceOption, intOption, numberOption, parse } from '../args';
import { CliError } from '../errors';
import { ProgressBar } from '../progress';
import type { Command } from './types';

/**
 * Where a diverged run's last good weights go: beside --out, never in it, so that a diverged run is not mistaken
 * for a trained model (trained.convas → trained.diverged.convas).
 */
export function divergedPath(out: string): string {
  return out.endsWith('.convas') ? `${out.slice(0, -'.convas'.length)}.diverged.convas` : `${out}.diverged.convas`;
}

/** A graph file is a few kilobytes; 64 MiB is room for a 100,000-node graph (the schema's cap) and refuses the rest. */
const MAX_GRAPH_FILE_BYTES = 64 * 2 ** 20;

/** A graph from a .json graph file. */
async function readGraph(path: string): Promise<Graph> {
  let data: unknown;
  try {
    const { bytes } = await readUntrustedFile(path, { maxBytes: MAX_GRAPH_FILE_BYTES });
    data = parseUntrustedJson(bytes.toString('utf8'), path);
  } catch (e) {
    if (e instanceof UntrustedFileError && e.code === 'ENOENT') throw new CliError(`no such file or folder: ${path}`);
    if (e instanceof UntrustedFileError || e instanceof UntrustedJsonError) throw new CliError(e.message);
    throw e;
  }
  return parseGraph(data, path);
}

/** The settings of this run: the project's saved ones (or the shared defaults), with the options given on top. */
function settingsOf(values: Record<string, string | boolean | undefined>, base: ProjectSettings): ProjectSettings {
  const h = base.hyper;
  const optimizer = choiceOption('optimizer', values.optimizer, h.optimizer, OPTIMIZER_KINDS);
  // A new optimizer without --lr starts at its own usual rate, not at the previous optimizer's.
  const lrFallback = optimizer === h.optimizer ? h.learningRate : DEFAULT_LEARNING_RATES[optimizer];
  return {
    hyper: {
      epochs: intOption('epochs', values.epochs, h.epochs, 1, 10_000),
      batchSize: intOption('batch', values.batch, h.batchSize, 1, 4096),
      optimizer,
      learningRate: numberOption('lr', values.lr, lrFallback, 1e-12, 1000),
      schedule: choiceOption('schedule', values.schedule, h.schedule, SCHEDULES),
      momentum: numberOption('momentum', values.momentum, h.momentum, 0, 0.9999),
      weightDecay: numberOption('weight-decay', values['weight-decay'], h.weightDecay, 0, 1),
      labelSmoothing: numberOption('label-smoothing', values['label-smoothing'], h.labelSmoothing, 0, 0.5),
      seed: intOption('seed', values.seed, h.seed, 0, 2 ** 31 - 1),
      patience: intOption('patience', values.patience, h.patience, 0, 10_000),
    },
    data: {
      ...base.data,
      validationFraction: numberOption('validation', values.validation, base.data.validationFraction, 0.05, 0.5),
      augment: augmentOption(values.augment, base.data.augment),
    },
    keepWeightSets: intOption('keep', values.keep, base.keepWeightSets, 0, 100),
  };
}

/**
 * --augment: 'flip,shift=0.1,rotate=10,brightness=0.2,contrast=0.2' (any of them; 'none' for no augmentation).
 * The words not given keep the project's settings; the ranges are the Data view's, checked by the same schema.
 */
function augmentOption(value: unknown, base: AugmentSettings): AugmentSettings {
  if (value === undefined) return base;
  const text = String(value);
  if (text === 'none') return { flip: false, shift: 0, rotate: 0, brightness: 0, contrast: 0 };
  const out: Record<string, unknown> = { ...base };
  for (const part of text.split(',')) {
    const [key, number] = part.split('=');
    if (key === 'flip' && number === undefined) out.flip = true;
    else if (key !== 'flip' && key in base && number !== undefined && number.trim() !== '') out[key] = Number(number);
    else
      throw new CliError(
        `--augment takes 'none' or words from flip, shift=F, rotate=D, brightness=F, contrast=F, got '${part}'`,
      );
  }
  const checked = AugmentSettings.safeParse(out);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw new CliError(`--augment ${String(issue.path[0])} must be ${issue.message}`);
  }
  return checked.data;
}

/** The sets the project keeps for this run: its best epoch's weights, and its last when they differ. */
function keptSets(
  startedAt: string,
  version: string,
  history: readonly EpochEvent[],
  best: NamedWeights,
  final: NamedWeights,
): KeptWeights[] {
  const last = history[history.length - 1];
  const bestEpoch = [...history].reverse().find((e) => e.best) ?? last;
  const sets: KeptWeights[] = [
    {
      run: startedAt,
      kind: 'best',
      epoch: bestEpoch.epoch,
      valAccuracy: toMetric(bestEpoch.valAccuracy),
      graphVersion: version,
      weights: best,
    },
  ];
  if (bestEpoch !== last) {
    sets.push({ run: startedAt, kind: 'final', epoch: last.epoch, graphVersion: version, weights: final });
  }
  return sets;
}

export const train: Command = {
  name: 'train',
  usage:
    'convas train <project.convas | graph.json> [--from-scratch] [--data DIR] [--epochs N] [--batch B] [--lr X] [--schedule constant|cosine] [--optimizer sgd|momentum|adam] [--label-smoothing E] [--seed S] [--patience P] [--augment A] [--threads T] [--keep K] [--resume] [--out <trained.convas>]',
  summary:
    'Trains a project (continuing from its weights) or a graph on an image folder (the built-in sample without --data) and saves the trained project.',
  help: [
    'A .convas project continues from its own weights: every layer whose weight shapes still fit the graph starts',
    'from them (the others are initialised), with a new optimizer state and the learning rate given (its schedule',
    'starts again over this run). --from-scratch initialises every layer instead.',
    "The run joins the project's history; without --out the project file itself is updated.",
    "Settings not given come from the project's saved settings, else the shared defaults (SGD, learning rate",
    "0.05, batch 32, 5 epochs, seed 1); a different --optimizer without --lr takes that optimizer's usual rate.",
    '',
    '  --from-scratch    initialise every weight (a .convas project continues from its weights otherwise)',
    "  --data DIR        image folder (default: the project's dataset, else the built-in sample)",
    '  --epochs N        epochs to train in this run',
    '  --batch B, --lr X, --optimizer K, --momentum M, --weight-decay W, --seed S, --patience P',
    '  --schedule S      the learning rate over the run: constant, or cosine (from --lr down towards 0 at the last step)',
    '  --label-smoothing E  spread this share of each training target over all classes (0 to 0.5; 0 is off)',
    '  --validation F    share of each class held out for validation (0.05 to 0.5)',
    '  --augment A       random changes to training images: flip, shift=F, rotate=D, brightness=F, contrast=F',
    "                    (comma-separated, e.g. flip,shift=0.1; 'none' turns the project's off)",
    '  --keep K          weight sets of earlier runs kept in the project (0 to 100; each costs 4 bytes per weight)',
    "  --threads T       worker threads (default: the machine's cores)",
    '  --resume          continue a stopped or crashed run from its checkpoint (OUT.checkpoint), optimizer state included',
    '  --checkpoint PATH where the per-epoch checkpoint goes (default OUT.checkpoint)',
    '  --out PATH        where to save the trained project (required for a .json graph)',
  ].join('\n'),
  async run(args, io) {
    const { positionals, values } = parse(args, {
      data: { type: 'string' },
      epochs: { type: 'string' },
      batch: { type: 'string' },
      lr: { type: 'string' },
      schedule: { type: 'string' },
      optimizer: { type: 'string' },
      momentum: { type: 'string' },
      'weight-decay': { type: 'string' },
      'label-smoothing': { type: 'string' },
      seed: { type: 'string' },
      patience: { type: 'string' },
      threads: { type: 'string' },
      validation: { type: 'string' },
      augment: { type: 'string' },
      keep: { type: 'string' },
      out: { type: 'string' },
      checkpoint: { type: 'string' },
      resume: { type: 'boolean' },
      'from-scratch': { type: 'boolean' },
    });
    if (positionals.length !== 1) throw new CliError('give exactly one project (.convas) or graph file (.json)');
    const input = positionals[0];
    const project: LoadedProject | null = input.endsWith('.convas') ? await readProjectFile(input) : null;
    const out = typeof values.out === 'string' && values.out !== '' ? values.out : project ? input : null;
    if (!out) throw new CliError('--out is required when training a graph file');
    const graph = project ? project.file.graph : await readGraph(input);
    const settings = settingsOf(values, project?.file.settings ?? defaultProjectSettings());
    const { hyper, data } = settings;
    const threads = values.threads === undefined ? undefined : intOption('threads', values.threads, 1, 1, 256);
    const projectData = project?.file.dataset?.path;
    const root =
      values.data !== undefined
        ? resolve(String(values.data))
        : projectData && projectData !== sampleDatasetPath() && existsSync(projectData)
          ? projectData
          : null;
    const checkpointPath = typeof values.checkpoint === 'string' ? values.checkpoint : `${out}.checkpoint`;
    const compiled = compileGraph(graph);
    // Say first how the run starts: the one thing a user must not have to guess.
    const current = project?.weights ?? {};
    const hasWeights = Object.keys(current).length > 0;
    const continuing = hasWeights && !values['from-scratch'] && !values.resume;
    let transfer: ReturnType<typeof transferWeights> | null = null;
    // (A resumed run says so once its checkpoint is read; a continued one once its weights are in, below.)
    if (!values.resume && values['from-scratch']) {
      io.stderr('training from scratch (--from-scratch): every weight is initialised\n');
    } else if (!values.resume && !hasWeights) {
      io.stderr(`training from scratch: ${project ? `${input} has no weights yet` : 'a new network'}\n`);
    }
    const plan: TrainingPlan = { graph, data, hyper };
    // The folder is opened while the workers start.
    const opening = openFolder(plan, compiled, { root });
    const session = await TrainingSession.open(plan, {
      compiled,
      data: opening,
      ...(threads === undefined ? {} : { threads }),
      checkpointPath,
    });
    const folder = await opening;
    // Ctrl+C finishes the step in progress, then saves what was learned so far; a second Ctrl+C quits at once.
    let interrupted = false;
    const onSigint = () => {
      if (interrupted) process.exit(130);
      interrupted = true;
      io.stderr('\nstopping after this step (Ctrl+C again to quit without saving)\n');
      session.stop();
    };
    process.on('SIGINT', onSigint);
    const startedAt = new Date().toISOString();
    let end: SessionEnd;
    /** A checkpoint that could not be written stops the run; what it learned is still saved. */
    let checkpointFailure: CheckpointWriteError | null = null;
    try {
      if (continuing) {
        transfer = transferWeights(compiled, await session.pool.getWeights(), current);
        await session.pool.setWeights(transfer.weights);
        const fresh = transfer.initialised.length;
        io.stderr(
          `continuing from the weights in ${input} (${transfer.kept.length} of ${transfer.kept.length + fresh} tensors kept` +
            `${fresh > 0 ? `; initialised: ${transfer.initialised.join(', ')}` : ''}; a new ${hyper.optimizer} optimizer state, learning rate ${hyper.learningRate}); --from-scratch re-initialises\n`,
        );
      }
      if (values.resume) {
        if (!existsSync(checkpointPath)) throw new CliError(`--resume: there is no checkpoint at ${checkpointPath}`);
        const c = await readCheckpoint(checkpointPath);
        await session.restore(c);
        io.stderr(`resuming from ${checkpointPath} after epoch ${c.epoch} (its optimizer state included)\n`);
      }
      io.stderr(
        `training on ${folder.index.root}: ${session.classes.length} classes, ` +
          `${folder.trainCount} train / ${folder.validationCount} validation images\n`,
      );
      const bar = new ProgressBar(io, hyper.epochs);
      try {
        end = await session.run({ onStep: (e) => bar.step(e), onEpoch: (e) => bar.epoch(e) });
      } catch (e) {
        if (!(e instanceof CheckpointWriteError)) throw e;
        checkpointFailure = e;
        end = { status: 'stopped', epochs: session.epochHistory.length };
      }
      const history = session.epochHistory;
      const version = graphVersion(graph);
      // The same record the app writes, so that a project's history reads alike whichever trained it.
      const run = runRecord({
        startedAt,
        plan,
        dataset: root ?? 'built-in sample',
        epochs: history.map((e) => ({ ...epochRecord(e), best: e.best })),
        end: {
          status: end.status,
          epochs: end.epochs,
          reason: 'reason' in end ? end.reason : (checkpointFailure?.message ?? null),
        },
        start: continuing || values.resume ? 'continue' : 'scratch',
      });
      const content: ProjectContent = {
        ...(project?.file.name === undefined ? {} : { name: project.file.name }),
        graph,
        dataset: { path: folder.index.root, classes: [...session.classes] },
        history: [...(project?.file.history ?? []), run].slice(-1000),
        settings,
      };
      if (end.status === 'diverged') {
        // The step that diverged was not applied: the pool holds the weights of the step before, as the reason says.
        await writeProjectFile(divergedPath(out), content, await session.pool.getWeights(), undefined, {
          weightsGraph: version,
        });
      } else if (history.length > 0) {
        const best = await session.bestWeights();
        const kept = [
          // Weights no kept set holds (an import) stay restorable as the weights this run started from.
          ...startSet(startedAt, current, project?.weightsGraph ?? null, project?.kept ?? []),
          ...keptSets(startedAt, version, history, best, await session.pool.getWeights()),
        ];
        await writeProjectFile(out, content, best, undefined, {
          weightsGraph: version,
          kept: keptWithin([...(project?.kept ?? []), ...kept], content),
        });
        const top = history.reduce((a, b) => (b.valAccuracy > a.valAccuracy ? b : a));
        io.stderr(
          `saved ${out} (weights of epoch ${top.epoch}, validation accuracy ${(top.valAccuracy * 100).toFixed(2)}%)\n`,
        );
      }
    } finally {
      process.off('SIGINT', onSigint);
      await session.close();
    }
    if (end.status === 'diverged') {
      throw new CliError(
        `training diverged: ${end.reason} Those weights are saved in ${divergedPath(out)}; ${out} was not written.`,
      );
    }
    if (checkpointFailure) {
      throw new CliError(
        `${checkpointFailure.message}; training stopped after epoch ${end.epochs}` +
          (end.epochs > 0 ? ` and the model was saved in ${out}` : ''),
      );
    }
    if (end.status === 'early-stopped') io.stderr(`stopped early: ${end.reason}\n`);
    if (end.status === 'stopped' && end.epochs === 0) {
      throw new CliError('training stopped before the first epoch ended; nothing was saved');
    }
  },
};
