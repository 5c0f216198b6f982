import { failedToStart, startApp } from './app';

/** The main process entry: thin by design; see app.ts for the lifecycle and src/host for the services. */
startApp().catch(failedToStart);
