import { graphVersion } from '../../shared/graph-version';

/** The workbench's parts name a network by its graph's version (which graph a model, a checkpoint, a run fits). */
export { graphVersion };
