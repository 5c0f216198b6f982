import { compileGraph, Network, sameShape, shapeToString, transferWeights } from '../../engine';
import { parameterLayout } from '../../engine/network';
import { graphFromSafetensors, importSafetensorsInto } from '../../engine/formats';
import { decodeSafetensors } from '../../engine/formats/safetensors';
import { importOnnxFile, readModelFile } from '../../host/export';
import { readProjectFile, writeProjectFile } from '../../host/project/project-file';
import { graphVersion } from '../../shared/graph-version';
import { parse } from '../args';
import { CliError } from '../errors';
import type { Command } from './types';

export const importCommand: Command = {
  name: 'import',
  usage:
    'convas import <model.onnx | export.safetensors> --out <project.convas> | convas import <weights.safetensors> --into <project.convas>',
  summary:
    "Opens an ONNX model as an editable project, or loads a safetensors file's weights (Convas's export, or train.py's) into a project.",
  help: [
    'model.onnx --out P.convas         a new project from an ONNX model (made by Convas or elsewhere, of the',
    '                                   supported operators), with its weights: `convas train P.convas` continues',
    "export.safetensors --out P.convas  a new project from Convas's safetensors export (its graph is in the file)",
    'weights.safetensors --into P.convas  loads the weights into the project: tensors named as Convas names them',
    "                                   (conv1.kernel, dense1.bias), as Convas's safetensors export and the exported",
    "                                   train.py (save_convas_weights) write them. Each tensor's name and shape is",
    "                                   checked; a layer takes the file's weights only when all of its own fit, and",
    '                                   what did not fit is listed. The project file is updated in place.',
  ].join('\n'),
  async run(args, io) {
    const { positionals, values } = parse(args, { out: { type: 'string' }, into: { type: 'string' } });
    if (positionals.length !== 1) throw new CliError('give exactly one .onnx or .safetensors file');
    const file = positionals[0];
    if (typeof values.into === 'string') return importWeightsInto(file, values.into, io);
    if (typeof values.out !== 'string' || values.out === '') throw new CliError('--out (or --into) is required');
    if (file.endsWith('.safetensors')) return projectFromSafetensors(file, values.out, io);
    const imported = await importOnnxFile(file);
    for (const w of imported.warnings) io.stderr(`warning: ${w}\n`);
    const classes = imported.classes ? { classes: imported.classes } : {};
    await writeProjectFile(
      values.out,
      { graph: imported.graph, dataset: null, history: [], ...classes },
      imported.weights,
      undefined,
      { weightsGraph: graphVersion(imported.graph) },
    );
    io.stderr(
      `wrote ${values.out}: ${imported.graph.nodes.length} nodes, ${Object.keys(imported.weights).length} weight tensors` +
        `${imported.classes ? `, ${imported.classes.length} class names` : ''}\n`,
    );
  },
};

/** A new project from Convas's safetensors export, which carries its graph in its metadata. */
async function projectFromSafetensors(file: string, out: string, io: { stderr(s: string): void }): Promise<void> {
  const bytes = await readModelFile(file);
  const graph = graphFromSafetensors(bytes, file);
  if (!graph) {
    throw new CliError(
      `${file} carries no graph (train.py writes weights only): load it into a project with --into PROJECT.convas`,
    );
  }
  const weights = importSafetensorsInto(graph, bytes, file);
  await writeProjectFile(out, { graph, dataset: null, history: [] }, weights, undefined, {
    weightsGraph: graphVersion(graph),
  });
  io.stderr(`wrote ${out}: ${graph.nodes.length} nodes, ${Object.keys(weights).length} weight tensors\n`);
}

/** Loads a safetensors file's weights into a project, saying what fitted and what did not. */
async function importWeightsInto(file: string, projectPath: string, io: { stderr(s: string): void }): Promise<void> {
  const project = await readProjectFile(projectPath);
  const graph = project.file.graph;
  const compiled = compileGraph(graph);
  let tensors;
  try {
    tensors = decodeSafetensors(await readModelFile(file)).tensors;
  } catch (e) {
    throw new CliError(`${file} is not a readable safetensors file: ${(e as Error).message}`);
  }
  const slots = parameterLayout(compiled).slots;
  const needed = new Map(slots.map((s) => [s.name, s.shape]));
  const problems: string[] = [];
  for (const [name, t] of Object.entries(tensors)) {
    const shape = needed.get(name);
    if (!shape) problems.push(`'${name}' is not a weight of this network`);
    else if (!sameShape(shape, t.shape)) {
      problems.push(`'${name}' is [${shapeToString(t.shape)}], the network needs [${shapeToString(shape)}]`);
    } else if (t.data.some((v) => !Number.isFinite(v))) problems.push(`'${name}' holds NaN or infinite values`);
  }
  const usable = Object.fromEntries(
    Object.entries(tensors).filter(([name, t]) => {
      const shape = needed.get(name);
      return shape && sameShape(shape, t.shape) && t.data.every((v) => Number.isFinite(v));
    }),
  );
  for (const s of slots) if (!Object.hasOwn(tensors, s.name)) problems.push(`'${s.name}' is missing from the file`);
  // The layers the file does not cover keep the project's weights where it has them, else a new initialisation.
  const base = Object.keys(project.weights).length > 0 ? project.weights : new Network(compiled).getWeights();
  const { weights, kept, initialised } = transferWeights(compiled, base, usable);
  if (kept.length === 0) {
    throw new CliError(`no layer of ${projectPath} fits the weights in ${file}: ${problems.slice(0, 5).join('; ')}`);
  }
  const fromProject = initialised.filter((n) => Object.hasOwn(project.weights, n));
  await writeProjectFile(
    projectPath,
    {
      ...(project.file.name === undefined ? {} : { name: project.file.name }),
      graph,
      dataset: project.file.dataset,
      history: project.file.history,
      ...(project.file.settings ? { settings: project.file.settings } : {}),
    },
    weights,
    undefined,
    { weightsGraph: graphVersion(graph), kept: project.kept },
  );
  io.stderr(`loaded ${kept.length} of ${slots.length} weight tensors from ${file} into ${projectPath}\n`);
  for (const p of problems) io.stderr(`did not fit: ${p}\n`);
  if (initialised.length > 0) {
    io.stderr(
      `not loaded (${fromProject.length === initialised.length ? "the project's own weights stay" : 'initialised or kept from the project'}): ${initialised.join(', ')}\n`,
    );
  }
}
