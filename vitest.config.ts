import { defineConfig } from 'vitest/config';
import { CRITICAL_COVERAGE, CRITICAL_MODULES } from './tests/critical-modules.js';

/** Checks that PostgreSQL and every real tool are there; only the tiers that use them run it. */
export const SYSTEM_SETUP = 'tests/helpers/global-setup.ts';

/** Pure code, the Pulumi program under mocks and rendered templates: no server, no system tool. */
const UNIT_TESTS = [
  'tests/unit/**/*.test.ts',
  'tests/stacks/{policy,program,release-config,stack-config}.test.ts',
  'tests/templates/rendered-files.test.ts',
];

export default defineConfig({
  test: {
    // Native addons (better-sqlite3, argon2) and child processes are happiest in forked workers.
    pool: 'forks',
    // Both cores: the end-to-end release test (minutes, mostly waiting) runs beside everything else.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Tiers that run alone: `npm run test:unit` needs neither PostgreSQL nor the system tools;
    // `npm test` runs both projects, and the system one fails (never skips) when a tool is missing.
    projects: [
      { extends: true, test: { name: 'unit', include: UNIT_TESTS } },
      { extends: true, test: { name: 'system', include: ['tests/**/*.test.ts'], exclude: UNIT_TESTS, globalSetup: [SYSTEM_SETUP] } },
    ],
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
