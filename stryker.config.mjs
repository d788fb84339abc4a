// Shared Stryker settings. `npm run test:mutation` (scripts/mutation.ts) runs one module at a time
// with its own tests from tests/critical-modules.ts; see docs/TESTING.md.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  // Test files come from vitest.mutation.config.ts; vitest's "related" search would add every HTTP test.
  vitest: { configFile: 'vitest.mutation.config.ts', related: false },
  coverageAnalysis: 'perTest',
  incremental: true,
  reporters: ['progress', 'json'],
  concurrency: 2,
  timeoutMS: 30000,
  thresholds: { high: 90, low: 80, break: null },
  tempDirName: '.stryker-tmp',
  ignorePatterns: ['reports', 'coverage', 'dist', '.stryker-tmp'],
  cleanTempDir: 'always',
};
