import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { OPTIMIZER_KINDS, type OptimizerKind } from '../../engine';
import { sampleDatasetPath } from '../../host/datasets';
import { readProjectFile, writeProjectFile } from '../../host/project/project-file';
import { epochRecord, readCheckpoint, TrainingSession, type SessionEnd } from '../../host/session';
import { readUntrustedFile, UntrustedFileError } from '../../host/files/read-untrusted';
import { parseGraph, type Graph } from '../../shared/graph';
import { parseUntrustedJson, UntrustedJsonError } from '../../shared/safe-json';
import type { TrainingRun } from '../../shared/project';
import { choiceOption, intOption, numberOption, parse, required } from '../args';
import { CliError } from '../errors';
import { ProgressBar } from '../progress';
import type { Command } from './types';

/** Learning rates that work for each optimizer out of the box. */
const DEFAULT_LR: Record<OptimizerKind, number> = { sgd: 0.05, momentum: 0.01, adam: 0.001 };

/** A graph file is a few kilobytes; 64 MiB is room for a 100,000-node graph (the schema's cap) and refuses the rest. */
const MAX_GRAPH_FILE_BYTES = 64 * 2 ** 20;

/** A graph from a .json graph file or from a .convas project. */
async function readGraph(path: string): Promise<Graph> {
  if (path.endsWith('.convas')) return (await readProjectFile(path)).file.graph;
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

export const train: Command = {
  name: 'train',
  usage:
    'convas train <graph.json> [--data DIR] [--epochs N] [--batch B] [--lr X] [--optimizer sgd|momentum|adam] [--seed S] [--patience P] [--threads T] [--resume] --out <trained.convas>',
  summary: 'Trains a graph on an image folder (the built-in sample without --data) and saves the trained project.',
  async run(args, io) {
    const { positionals, values } = parse(args, {
      data: { type: 'string' },
      epochs: { type: 'string' },
      batch: { type: 'string' },
      lr: { type: 'string' },
      optimizer: { type: 'string' },
      momentum: { type: 'string' },
      'weight-decay': { type: 'string' },
      seed: { type: 'string' },
      patience: { type: 'string' },
      threads: { type: 'string' },
      validation: { type: 'string' },
      out: { type: 'string' },
      checkpoint: { type: 'string' },
      resume: { type: 'boolean' },
    });
    if (positionals.length !== 1) throw new CliError('give exactly one graph file (.json or .convas)');
    const out = required('out', values.out);
    const kind = choiceOption('optimizer', values.optimizer, 'adam', OPTIMIZER_KINDS);
    const hyper = {
      epochs: intOption('epochs', values.epochs, 5, 1, 100_000),
      batchSize: intOption('batch', values.batch, 32, 1, 65_536),
      seed: intOption('seed', values.seed, 1, 0, 2 ** 31 - 1),
      patience: intOption('patience', values.patience, 0, 0, 100_000),
      threads: values.threads === undefined ? undefined : intOption('threads', values.threads, 1, 1, 256),
      optimizer: {
        kind,
        learningRate: numberOption('lr', values.lr, DEFAULT_LR[kind], 1e-12, 1e6),
        momentum: numberOption('momentum', values.momentum, 0.9, 0, 0.9999),
        weightDecay: numberOption('weight-decay', values['weight-decay'], 0, 0, 10),
      },
    };
    const graph = await readGraph(positionals[0]);
    const root = values.data === undefined ? null : resolve(String(values.data));
    const checkpointPath = typeof values.checkpoint === 'string' ? values.checkpoint : `${out}.checkpoint`;
    const validationFraction = numberOption('validation', values.validation, 0.2, 0.01, 0.9);
    const session = await TrainingSession.open({ graph, data: { root, validationFraction }, hyper, checkpointPath });
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
    try {
      if (values.resume) {
        if (!existsSync(checkpointPath)) throw new CliError(`--resume: there is no checkpoint at ${checkpointPath}`);
        const c = await readCheckpoint(checkpointPath);
        await session.restore(c);
        io.stderr(`resuming from ${checkpointPath} after epoch ${c.epoch}\n`);
      }
      io.stderr(
        `training on ${session.index.root}: ${session.classes.length} classes, ` +
          `${session.index.splits.train.length} train / ${session.index.splits.validation.length} validation images\n`,
      );
      const bar = new ProgressBar(io, hyper.epochs);
      end = await session.run({ onStep: (e) => bar.step(e), onEpoch: (e) => bar.epoch(e) });
      const history = session.epochHistory;
      const run: TrainingRun = {
        startedAt,
        settings: {
          optimizer: kind,
          learningRate: hyper.optimizer.learningRate,
          batchSize: hyper.batchSize,
          epochs: hyper.epochs,
          seed: hyper.seed,
          weightDecay: hyper.optimizer.weightDecay,
          data: root ?? sampleDatasetPath(),
        },
        epochs: history.map(epochRecord),
        ...(end.status === 'diverged' || end.status === 'early-stopped' ? { stopped: end.reason } : {}),
        ...(end.status === 'stopped' ? { stopped: `stopped by the user after epoch ${end.epochs}` } : {}),
      };
      if (history.length > 0) {
        await writeProjectFile(
          out,
          { graph, dataset: { path: session.index.root, classes: [...session.classes] }, history: [run] },
          await session.bestWeights(),
        );
        const best = history.reduce((a, b) => (b.valAccuracy > a.valAccuracy ? b : a));
        io.stderr(
          `saved ${out} (weights of epoch ${best.epoch}, validation accuracy ${(best.valAccuracy * 100).toFixed(2)}%)\n`,
        );
      }
    } finally {
      process.off('SIGINT', onSigint);
      await session.close();
    }
    if (end.status === 'diverged') throw new CliError(`training diverged: ${end.reason}`);
    if (end.status === 'early-stopped') io.stderr(`stopped early: ${end.reason}\n`);
    if (end.status === 'stopped' && end.epochs === 0) {
      throw new CliError('training stopped before the first epoch ended; nothing was saved');
    }
  },
};
