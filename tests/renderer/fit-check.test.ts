import { describe, expect, it } from 'vitest';
import { analyseGraph } from '../../src/engine';
import type { Graph } from '../../src/shared/graph';
import type { DatasetReportView } from '../../src/shared/training';
import { checkFit } from '../../src/renderer/dashboard/data/fit-check';
import lenet from '../../resources/templates/lenet5.json';

const graph = lenet as unknown as Graph;
const shapes = analyseGraph(graph).shapes;

function report(o: { classes: number; colour: number; grayscale: number; w: number; h: number }): DatasetReportView {
  const size = { min: o.w, max: o.w, mean: o.w };
  return {
    source: 'folder',
    root: '/data',
    layout: 'classes',
    validationFrom: 'split',
    classes: Array.from({ length: o.classes }, (_, i) => ({
      name: `c${i}`,
      label: i,
      counts: { train: 8, validation: 2, test: 0 },
    })),
    totals: { train: 8 * o.classes, validation: 2 * o.classes, test: 0 },
    sizes: { width: size, height: { ...size, min: o.h, max: o.h }, common: [{ size: `${o.w}×${o.h}`, count: 10 }] },
    formats: { png: 10 },
    storage: { colour: o.colour, grayscale: o.grayscale },
    skipped: [],
    skippedTotal: 0,
    ignored: { count: 0, examples: [] },
    imbalance: null,
    duplicates: [],
    errors: [],
    warnings: [],
  } as DatasetReportView;
}

describe('checking the images against the network', () => {
  it('finds nothing when 10 gray 28×28 classes meet LeNet-5', () => {
    expect(
      checkFit(graph, shapes, report({ classes: 10, colour: 0, grayscale: 100, w: 28, h: 28 }), 'stretch'),
    ).toEqual([]);
  });

  it('states a class-count and a colour mismatch, each with its fix', () => {
    const issues = checkFit(graph, shapes, report({ classes: 3, colour: 30, grayscale: 0, w: 28, h: 28 }), 'stretch');
    expect(issues.map((i) => [i.id, i.severity])).toEqual([
      ['classes', 'mismatch'],
      ['channels', 'mismatch'],
    ]);
    expect(issues[0]!.message).toBe(
      "The network gives 10 outputs ('softmax'), but the images have 3 classes: each class needs one output.",
    );
    expect(issues[0]!.fixes).toEqual([
      { label: "Set 'fc3' to 3 units", kind: 'param', node: 'fc3', key: 'units', value: 3 },
    ]);
    expect(issues[1]!.message).toMatch(/^The images are in colour, but the input 'input' takes 1 channel/);
    expect(issues[1]!.fixes[0]).toMatchObject({ kind: 'param', node: 'input', key: 'channels', value: 3 });
    // Keeping grayscale on purpose settles the colour mismatch.
    const kept = checkFit(
      graph,
      shapes,
      report({ classes: 3, colour: 30, grayscale: 0, w: 28, h: 28 }),
      'stretch',
      new Set(['channels']),
    );
    expect(kept.map((i) => i.id)).toEqual(['classes']);
  });

  it('says how other sizes are resized and offers the other policies', () => {
    const [issue] = checkFit(graph, shapes, report({ classes: 10, colour: 0, grayscale: 10, w: 64, h: 48 }), 'fit');
    expect(issue).toMatchObject({ id: 'size', severity: 'note' });
    expect(issue!.message).toBe(
      "The images are 64×48 px; the input 'input' takes 28×28, so they are fitted inside it, keeping their proportions (the rest is black).",
    );
    expect(issue!.fixes.map((f) => f.kind === 'resize' && f.value)).toEqual(['stretch', 'crop']);
  });
});
