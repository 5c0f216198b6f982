import type { DatasetReport } from './report';
import { SPLITS } from './types';

/** How many skipped files and duplicate groups the text report lists before summarising the rest. */
const LIST_LIMIT = 20;

const layoutText = (r: DatasetReport): string => {
  const layout = r.layout === 'splits' ? 'train/ and test/ folders' : 'one folder per class';
  const v = r.validation;
  const validation =
    v.kind === 'folder'
      ? 'validation from its folder'
      : v.kind === 'split'
        ? `validation: ${Math.round(v.fraction * 100)}% of each class, seed ${v.seed}`
        : 'no validation split';
  return `${layout}; ${validation}`;
};

/** The report as text, for the command line: a table of classes, then sizes, skipped files, warnings and errors. */
export function formatReport(r: DatasetReport): string {
  const lines: string[] = [`Dataset ${r.root} (${layoutText(r)})`];
  const splits = SPLITS.filter((s) => r.totals[s] > 0 || s === 'train');
  lines.push(`${r.classes.length} classes; ${splits.map((s) => `${r.totals[s]} ${s}`).join(', ')} images`);
  if (r.classes.length > 0) {
    const width = Math.max(5, ...r.classes.map((c) => c.name.length));
    lines.push(`  ${'class'.padEnd(width)}  ${splits.map((s) => s.padStart(12)).join('')}`);
    for (const c of r.classes) {
      lines.push(`  ${c.name.padEnd(width)}  ${splits.map((s) => String(c.counts[s]).padStart(12)).join('')}`);
    }
  }
  if (r.sizes) {
    const { width: w, height: h, common } = r.sizes;
    const sizes =
      w.min === w.max && h.min === h.max
        ? `all ${w.min}×${h.min}`
        : `width ${w.min}–${w.max} (mean ${w.mean.toFixed(0)}), height ${h.min}–${h.max} (mean ${h.mean.toFixed(0)}); most common ${common.map((c) => `${c.size} (${c.count})`).join(', ')}`;
    lines.push(`Image sizes: ${sizes}`);
    const formats = Object.entries(r.formats).map(([f, n]) => `${f} ${n}`);
    const s = r.storage;
    const kinds = Object.entries({
      grayscale: s.grayscale,
      colour: s.colour,
      alpha: s.alpha,
      palette: s.palette,
      '16-bit': s.highBitDepth,
    })
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${k} ${n}`);
    lines.push(`Formats: ${formats.join(', ')}; ${kinds.join(', ')}`);
  }
  if (r.imbalance?.ratio === 1) {
    lines.push(`Balance: every class has ${r.imbalance.largest.count} training images`);
  } else if (r.imbalance?.ratio != null) {
    const { largest, smallest, ratio } = r.imbalance;
    lines.push(
      `Balance: largest "${largest.name}" ${largest.count}, smallest "${smallest.name}" ${smallest.count} (${ratio.toFixed(1)}×)`,
    );
  }
  if (r.skipped.length > 0) {
    lines.push(`Skipped ${r.skipped.length} file(s):`);
    for (const s of r.skipped.slice(0, LIST_LIMIT)) lines.push(`  ${s.rel}: ${s.kind}: ${s.reason}`);
    if (r.skipped.length > LIST_LIMIT) lines.push(`  … and ${r.skipped.length - LIST_LIMIT} more`);
  }
  if (r.ignored.count > 0) {
    const more = r.ignored.count > r.ignored.examples.length ? ', …' : '';
    lines.push(`Ignored ${r.ignored.count} hidden or non-image file(s): ${r.ignored.examples.join(', ')}${more}`);
  }
  if (r.duplicates.length > 0) {
    lines.push(`Duplicates across splits: ${r.duplicates.length}`);
    for (const d of r.duplicates.slice(0, LIST_LIMIT)) {
      lines.push(`  ${d.files.map((f) => `${f.rel} (${f.split})`).join(' = ')}`);
    }
    if (r.duplicates.length > LIST_LIMIT) lines.push(`  … and ${r.duplicates.length - LIST_LIMIT} more`);
  }
  for (const w of r.warnings) lines.push(`Warning: ${w}`);
  for (const e of r.errors) lines.push(`Error: ${e}`);
  return lines.join('\n');
}
