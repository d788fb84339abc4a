import { defineConfig } from 'vitest/config';
import { CRITICAL_COVERAGE, CRITICAL_MODULES } from './tests/critical-modules.js';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/helpers/global-setup.ts'],
    // Native addons (better-sqlite3, argon2) and child processes are happiest in forked workers.
    pool: 'forks',
    // Both cores: the end-to-end release test (minutes, mostly waiting) runs beside everything else.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // The JSON report is what .ci/run turns into its plain "N passed, N failed" line.
    reporters: ['default', ['json', { outputFile: 'reports/vitest.json' }]],
    coverage: {
      provider: 'v8',
      include: ['app/src/**/*.ts', 'stacks/**/*.ts', 'templates/**/*.ts', 'scripts/**/*.ts'],
      reporter: ['text-summary', 'json-summary'],
      reportsDirectory: 'coverage',
      // `npm test` runs with --coverage, so CI fails when a module that protects data or access loses tests.
      thresholds: Object.fromEntries(CRITICAL_MODULES.map((m) => [m.file, { ...CRITICAL_COVERAGE }])),
    },
  },
});
