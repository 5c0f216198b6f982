/**
 * The per-window service behind the Data, Train and Inspect views: datasets the window may read, one training
 * run at a time with its progress relayed, the network to look inside, and export. See Workbench.
 */
export { Workbench, type WorkbenchOptions } from './workbench';
export { TrustedDatasets, UntrustedPathError } from './trusted';
export { InspectError } from './inspect';
