import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Template, TemplateSummary } from '../../shared/api';
import { parseGraph } from '../../shared/graph';
import { TemplateId } from '../../shared/menu';

/** A template that cannot be found or read, naming its file. */
export class TemplateError extends Error {
  override name = 'TemplateError';
}

/**
 * The model templates: one graph file (src/shared/graph.ts format) per template in a folder, named
 * `<id>.json`. The graph's `name` is the template's title. Ids are checked against TemplateId before they
 * become a file name, so an id can never reach outside the folder.
 */
export class TemplateLibrary {
  constructor(readonly dir: string) {}

  /** Every template, sorted by name. A broken file is listed with its problem instead of hiding it. */
  async list(): Promise<TemplateSummary[]> {
    let files: string[];
    try {
      files = await readdir(this.dir);
    } catch (e) {
      throw new TemplateError(`cannot list the templates in '${this.dir}': ${(e as Error).message}`);
    }
    const ids = files
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -'.json'.length))
      .filter((id) => TemplateId.safeParse(id).success);
    const out = await Promise.all(
      ids.map(async (id): Promise<TemplateSummary> => {
        try {
          const t = await this.load(id);
          return { id, name: t.name, nodeCount: t.graph.nodes.length };
        } catch (e) {
          return { id, name: id, nodeCount: 0, problem: (e as Error).message };
        }
      }),
    );
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** One template, its graph checked against the graph schema. */
  async load(id: string): Promise<Template> {
    const checked = TemplateId.safeParse(id);
    if (!checked.success) throw new TemplateError(`'${id}' is not a template id`);
    const file = join(this.dir, `${checked.data}.json`);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
      throw new TemplateError(
        missing ? `there is no template '${id}'` : `cannot read template '${file}': ${(e as Error).message}`,
      );
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (e) {
      throw new TemplateError(`template '${file}' is not valid JSON: ${(e as Error).message}`);
    }
    const graph = parseGraph(data, `template '${file}'`);
    return { id: checked.data, name: graph.name ?? checked.data, graph };
  }
}
