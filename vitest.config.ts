import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'wecom-sandbox/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    reporters: ['default', './test/summary-reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Test files share the worker's module cache instead of importing the server anew each time:
    // a full run went from 1,684 s (282 s of it imports) to 1,115 s (14 s) on 2026-12-07. Every
    // test builds its own app, database and clock; nothing relies on a fresh module state.
    isolate: false,
    // Two test files at a time on two cores: CI took 1,923 s with one (2026-12-07), over its 20 min.
    // Every console e2e file picks hover-opened menu entries with pickMenu (test/support/console.ts),
    // which under load missed clicks when they hovered and clicked once; servers started by tests get
    // 60 s to answer /health (test/support/server-process.ts).
    maxWorkers: 2,
  },
});
