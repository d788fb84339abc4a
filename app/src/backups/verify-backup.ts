import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { createDatabase, migrateToLatest } from '../db/index.js';
import { restorePostgresDump, restoreSqliteDump } from './database-dump.js';
import { digestDifferences, digestPostgres, digestSqliteFile } from './digests.js';
import type { BackupManifest } from './manifest.js';
import { DUMP_NAME } from './backup-archive.js';

export class BackupVerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupVerificationError';
  }
}

/**
 * Proves an extracted backup restores: the dump goes into a scratch database through the same
 * restore code a real restore uses, and every table's rows and digest must match the manifest.
 * PostgreSQL needs CREATEDB for the scratch database, which is dropped afterwards.
 */
export async function verifyByScratchRestore(
  extracted: string,
  manifest: BackupManifest,
  postgresUrl: string | null,
  container: string | null = null,
): Promise<void> {
  if (!manifest.includes.database) return;
  const dump = join(extracted, DUMP_NAME[manifest.engine]);
  let restored: Record<string, { rows: number; hash: string }>;
  if (manifest.engine === 'sqlite') {
    const scratchFile = join(extracted, `scratch-${randomUUID()}.sqlite`);
    try {
      const scratch = createDatabase({ kind: 'sqlite', file: scratchFile, busyTimeoutMs: 5000 });
      try {
        // Stryker disable next-line StringLiteral: equivalent: the schema's types differ only for 'postgres'
        await migrateToLatest(scratch.db, 'sqlite');
        await restoreSqliteDump(scratch, dump);
      } finally {
        await scratch.destroy();
      }
      restored = digestSqliteFile(scratchFile);
    } finally {
      // A scratch copy as large as the database must not sit in the staging folder.
      for (const suffix of ['', '-wal', '-shm']) await rm(`${scratchFile}${suffix}`, { force: true });
    }
  } else {
    if (!postgresUrl) throw new BackupVerificationError('A PostgreSQL backup needs a server to verify on');
    // Stryker disable next-line MethodExpression: equivalent: any unique valid name does
    const name = `baluhost_verify_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    const admin = new pg.Client({ connectionString: postgresUrl });
    await admin.connect();
    try {
      await admin.query(`create database "${name}"`).catch(async (err: unknown) => {
        // 42501: the role may not create databases; say what verification needs and the two ways out.
        if ((err as { code?: unknown }).code !== '42501') throw err;
        const role = ((await admin.query<{ role: string }>('select current_user as role')).rows[0] as { role: string }).role;
        throw new BackupVerificationError(
          `Verification restores the backup into a scratch database, and ${role} may not create one (${(err as Error).message}). ` +
            `Allow it once with: ALTER ROLE "${role}" CREATEDB; (as a PostgreSQL superuser), or back up with --no-verify`,
        );
      });
      const url = new URL(postgresUrl);
      url.pathname = `/${name}`;
      await restorePostgresDump({ kind: 'postgres', location: url.toString(), container }, dump);
      const client = new pg.Client({ connectionString: url.toString() });
      await client.connect();
      try {
        restored = await digestPostgres(client);
      } finally {
        await client.end();
      }
    } finally {
      await admin.query(`drop database if exists "${name}" with (force)`).catch(() => undefined);
      await admin.end();
    }
  }
  const differences = digestDifferences(manifest.digests, restored);
  if (differences.length > 0)
    throw new BackupVerificationError(`Restored copy differs from the backup's manifest: ${differences.join('; ')}`);
}
