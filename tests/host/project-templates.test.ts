import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compileGraph } from '../../src/engine/graph';
import { Network } from '../../src/engine/network';
import { TemplateLibrary } from '../../src/host/templates/library';

describe('the bundled templates', () => {
  it('lists small-mlp, whose graph compiles to a 10-class classifier of 28×28 images', async () => {
    const lib = new TemplateLibrary(resolve('resources/templates'));
    const list = await lib.list();
    const mlp = list.find((t) => t.id === 'small-mlp');
    expect(mlp).toEqual({ id: 'small-mlp', name: 'Small MLP', nodeCount: 5 });
    const compiled = compileGraph((await lib.load('small-mlp')).graph);
    expect(compiled.inputShape).toEqual([1, 28, 28]);
    expect(compiled.outputShape).toEqual([10]);
    // Every bundled template must load: a broken one would show up with a problem.
    expect(list.filter((t) => t.problem)).toEqual([]);
  });

  it('lists fashion-3conv, a 10-class classifier of 28×28 images under 100,000 parameters', async () => {
    const lib = new TemplateLibrary(resolve('resources/templates'));
    const list = await lib.list();
    expect(list.find((t) => t.id === 'fashion-3conv')).toEqual({
      id: 'fashion-3conv',
      name: 'Fashion-MNIST 3-conv (under 100K parameters)',
      nodeCount: 19,
    });
    const graph = (await lib.load('fashion-3conv')).graph;
    const compiled = compileGraph(graph);
    expect(compiled.inputShape).toEqual([1, 28, 28]);
    expect(compiled.outputShape).toEqual([10]);
    // The name promises it; the count includes batch norm's running statistics, as `npm run bench:fashion` prints.
    expect(new Network(graph).parameterCount(false)).toBe(80_106);
  });
});

describe('template library', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'convas-templates-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lists a broken template with its problem instead of failing the whole list', async () => {
    await writeFile(
      join(dir, 'good.json'),
      JSON.stringify({ format: 'convas-graph', version: 1, nodes: [], edges: [] }),
    );
    await writeFile(join(dir, 'broken.json'), '{ "format": "convas-graph", ');
    await writeFile(
      join(dir, 'future.json'),
      JSON.stringify({ format: 'convas-graph', version: 9, nodes: [], edges: [] }),
    );
    await writeFile(join(dir, 'Not An Id.json'), '{}');
    await writeFile(join(dir, 'readme.txt'), 'ignored');
    const list = await new TemplateLibrary(dir).list();
    expect(list.map((t) => t.id)).toEqual(['broken', 'future', 'good']);
    expect(list[0].problem).toMatch(/broken.json' is not valid JSON/);
    expect(list[1].problem).toMatch(/newer Convas/);
    expect(list[2]).toEqual({ id: 'good', name: 'good', nodeCount: 0 });
  });

  it('refuses ids that are not template names, so that an id never climbs out of the folder', async () => {
    const lib = new TemplateLibrary(dir);
    await expect(lib.load('../../etc/passwd')).rejects.toThrow("'../../etc/passwd' is not a template id");
    await expect(lib.load('missing')).rejects.toThrow("there is no template 'missing'");
  });

  it('names the folder when it cannot be listed', async () => {
    await expect(new TemplateLibrary(join(dir, 'nope')).list()).rejects.toThrow(
      /cannot list the templates in '.*nope'/,
    );
  });
});
