import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { BackupVerificationError, openBackupArchive, verifyByScratchRestore, writeBackupArchive } from '../../app/src/backups/index.js';
import { createLoggedInUser } from '../helpers/factories.js';
import { describeEachDialect } from '../helpers/test-app.js';

describeEachDialect('backup verification by scratch restore', (env) => {
  it('passes for a true backup and fails, naming the table, when the data differs from the manifest', async () => {
    await createLoggedInUser(env());
    const dir = await mkdtemp(join(tmpdir(), 'baluhost-verify-'));
    try {
      const config = env().config;
      const target = config.database.kind === 'sqlite' ? { kind: 'sqlite' as const, location: config.database.file } : { kind: 'postgres' as const, location: config.database.url };
      const written = await writeBackupArchive({ database: env().database, dumpTarget: target, outFile: join(dir, 'b.tar.gz'), backupType: 'database_only', includes: { database: true, files: false, config: false }, appVersion: '0' });
      const manifest = await openBackupArchive(written.file, written.sha256, join(dir, 'x'));
      const pgUrl = config.database.kind === 'postgres' ? config.database.url : null;
      await verifyByScratchRestore(join(dir, 'x'), manifest, pgUrl);
      const lying = { ...manifest, digests: { ...manifest.digests, users: { rows: (manifest.digests['users']?.rows ?? 0) + 1, hash: '1' } } };
      await expect(verifyByScratchRestore(join(dir, 'x'), lying, pgUrl)).rejects.toThrow(BackupVerificationError);
      await expect(verifyByScratchRestore(join(dir, 'x'), lying, pgUrl)).rejects.toThrow(/users \(expected \d+ rows/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
