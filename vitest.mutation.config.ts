import { defineConfig } from 'vitest/config';
import base, { SYSTEM_SETUP } from './vitest.config.js';

/**
 * The vitest Stryker runs: the base config narrowed to the test files of the module under test,
 * which scripts/mutation.ts passes in BALUHOST_MUTATION_TEST_FILES. (Stryker's own --testFiles
 * would activate static mutants too late to test them.)
 */
const files = (process.env['BALUHOST_MUTATION_TEST_FILES'] ?? '').split(',').filter(Boolean);
if (files.length === 0) throw new Error('vitest.mutation.config.ts is for npm run test:mutation, which names the test files');

const { projects: _tiers, ...shared } = base.test ?? {};

export default defineConfig({
  test: { ...shared, include: files, globalSetup: [SYSTEM_SETUP], reporters: ['default'] },
});
