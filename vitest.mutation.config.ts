import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

/**
 * The tests Stryker runs per mutant: the fast tiers that exercise the critical modules (unit,
 * security, HTTP, stacks). The slow end-to-end and tool-driving tests stay in `npm test`.
 */
export default defineConfig({
  test: {
    ...base.test,
    include: ['tests/unit/**/*.test.ts', 'tests/security/**/*.test.ts', 'tests/http/auth.test.ts', 'tests/http/shares.test.ts', 'tests/http/uploads.test.ts', 'tests/stacks/stack-config.test.ts', 'tests/stacks/release-config.test.ts', 'tests/templates/rendered-files.test.ts'],
    exclude: ['tests/security/fuzz-api.test.ts', 'tests/security/password-reset.test.ts'],
    reporters: ['default'],
  },
});
