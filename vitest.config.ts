import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['test/global-setup.ts'],
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Tests wait on runs more than on CPU; a few files at once keep 2 cores busy.
    maxWorkers: 3,
  },
});
