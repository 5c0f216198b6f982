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
    // One test file per core: the CPU-heavy suites (training, the browser) would only starve each other beyond.
    maxWorkers: Math.max(1, availableParallelism()),
  },
});
