/**
 * The code that protects data and access, and the tests that guard each module. One list for both
 * gates: `npm test` holds these files to the coverage thresholds (vitest.config.ts), and
 * `npm run test:mutation` mutates each file and runs only its tests against every mutant.
 */
export interface CriticalModule {
  /** What an operator or user would lose if this broke. */
  concern: string;
  file: string;
  /** The tests that must kill this module's mutants: fast ones, so a mutant run takes seconds. */
  tests: string[];
}

export const CRITICAL_MODULES: CriticalModule[] = [
  { concern: 'path safety', file: 'app/src/lib/path-safety.ts', tests: ['tests/unit/path-safety.test.ts'] },
  {
    concern: 'login, refresh rotation, password reset',
    file: 'app/src/services/auth.service.ts',
    tests: [
      'tests/security/auth-audit-and-freshness.test.ts',
      'tests/http/auth.test.ts',
      'tests/security/sessions-and-keys.test.ts',
      'tests/security/password-reset.test.ts',
      'tests/security/api-keys-and-reauth.test.ts',
    ],
  },
  {
    concern: 'token signing and hashing',
    file: 'app/src/repositories/token-crypto.ts',
    tests: ['tests/unit/token-crypto.test.ts', 'tests/http/auth.test.ts'],
  },
  {
    concern: 'lockout and rate limits',
    file: 'app/src/services/throttle.service.ts',
    tests: ['tests/security/throttle-rules.test.ts', 'tests/security/brute-force.test.ts'],
  },
  { concern: 'password policy', file: 'app/src/services/password-policy.ts', tests: ['tests/security/password-policy.test.ts'] },
  {
    concern: 'quota accounting on upload',
    file: 'app/src/services/uploads.service.ts',
    tests: ['tests/http/uploads.test.ts', 'tests/security/upload-inspection.test.ts'],
  },
  {
    concern: 'share access',
    file: 'app/src/services/shares.service.ts',
    tests: ['tests/http/share-rules.test.ts', 'tests/http/shares.test.ts'],
  },
  { concern: 'migration verification', file: 'app/src/data-safety/verify.ts', tests: ['tests/integration/migration-verification.test.ts'] },
  { concern: 'backup verification', file: 'app/src/backups/verify-backup.ts', tests: ['tests/integration/backup-verification.test.ts'] },
  { concern: 'app config validation', file: 'app/src/config/load-config.ts', tests: ['tests/unit/config.test.ts'] },
  { concern: 'stack config validation', file: 'stacks/config/stack-config.rules.ts', tests: ['tests/stacks/stack-config.test.ts'] },
  { concern: 'deploy state machine', file: 'stacks/release/deploy.ts', tests: ['tests/stacks/release-state-machine.test.ts'] },
  { concern: 'rollback state machine', file: 'stacks/release/rollback.ts', tests: ['tests/stacks/release-state-machine.test.ts'] },
  {
    concern: 'remote commands: host set-up and installs',
    file: 'stacks/remote/host-commands.ts',
    tests: ['tests/integration/remote-commands.test.ts'],
  },
  {
    concern: 'remote commands: transactional file install',
    file: 'stacks/remote/install-files.ts',
    tests: ['tests/integration/remote-commands.test.ts'],
  },
  {
    concern: 'remote commands: release lock and history',
    file: 'stacks/release/release-host-commands.ts',
    tests: ['tests/integration/remote-commands.test.ts', 'tests/stacks/release-state-machine.test.ts'],
  },
];

/** Per-file floors `npm test` enforces on the modules above. */
export const CRITICAL_COVERAGE = { lines: 90, branches: 85 } as const;

/** The mutation score each module must reach. */
export const CRITICAL_MUTATION_SCORE = 80;
