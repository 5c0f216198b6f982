import { availableParallelism } from 'node:os';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  plugins: [vue()],
  test: {
    include: ['tests/**/*.test.ts'],
    // Limits that only catch a hang: no test depends on the machine's speed, and a busy machine (another test
    // run beside this one) makes tests slower, not failing. Long training tests set larger limits of their own.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    // expect.poll waits for a state (a field filled after a round trip to the host, a chart point): 1 s, vitest's
    // default, is a speed assumption a loaded machine breaks. 30 s only catches a state that never comes.
    expect: { poll: { timeout: 30_000 } },
    // One test file per core: the CPU-heavy suites (training, the browser) would only starve each other beyond.
    maxWorkers: Math.max(1, availableParallelism()),
  },
});
