// Mutation testing of the code that protects data and access: `npm run test:mutation`
// (or `npm run test:mutation -- --mutate app/src/lib/path-safety.ts` for one module).
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts' },
  coverageAnalysis: 'perTest',
  mutate: [
    'app/src/lib/path-safety.ts',
    'app/src/services/password-policy.ts',
    'app/src/services/throttle.service.ts',
    'app/src/services/auth.service.ts',
    'app/src/services/api-keys.service.ts',
    'app/src/repositories/token-crypto.ts',
    'app/src/repositories/secret-box.ts',
    'app/src/services/shares.service.ts',
    'app/src/services/uploads.service.ts',
    'app/src/config/load-config.ts',
    'stacks/config/stack-config.rules.ts',
    'stacks/remote/install-files.ts',
    'stacks/remote/shell.ts',
    'stacks/release/slot-traffic.ts',
  ],
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: 'reports/mutation.json' },
  concurrency: 2,
  timeoutMS: 30000,
  thresholds: { high: 90, low: 80, break: null },
  tempDirName: '.stryker-tmp',
};
