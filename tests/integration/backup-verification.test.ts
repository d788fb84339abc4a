import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BackupVerificationError,
  openBackupArchive,
  verifyByScratchRestore,
  writeBackupArchive,
  type BackupManifest,
} from '../../app/src/backups/index.js';
import { createLoggedInUser } from '../helpers/factories.js';
import { PG_ADMIN_URL } from '../helpers/postgres.js';
import { describeEachDialect } from '../helpers/test-app.js';

/** Scratch databases left on the server by verification (there must never be any). */
async function scratchDatabases(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ datname: string }>(`select datname from pg_database where datname like 'baluhost\\_verify\\_%'`)).rows.map(
      (r) => r.datname,
    );
  } finally {
    await client.end();
  }
}

describeEachDialect('backup verification by scratch restore', (env) => {
  let dir: string;
  let manifest: BackupManifest;
  let pgUrl: string | null;
  const extracted = () => join(dir, 'x');

  beforeAll(async () => {
    await createLoggedInUser(env());
    dir = await mkdtemp(join(tmpdir(), 'baluhost-verify-'));
    const config = env().config;
    const target =
      config.database.kind === 'sqlite'
        ? { kind: 'sqlite' as const, location: config.database.file }
        : { kind: 'postgres' as const, location: config.database.url };
    const written = await writeBackupArchive({
      database: env().database,
      dumpTarget: target,
      outFile: join(dir, 'b.tar.gz'),
      backupType: 'database_only',
      includes: { database: true, files: false, config: false },
      appVersion: '0',
    });
    manifest = await openBackupArchive(written.file, written.sha256, extracted());
    pgUrl = config.database.kind === 'postgres' ? config.database.url : null;
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('passes for a true backup', async () => {
    await expect(verifyByScratchRestore(extracted(), manifest, pgUrl)).resolves.toBeUndefined();
  });

  it('fails, naming the table, when the restored row count differs from the manifest', async () => {
    const rows = manifest.digests['users']?.rows as number;
    const lying = {
      ...manifest,
      digests: { ...manifest.digests, users: { rows: rows + 1, hash: manifest.digests['users']?.hash as string } },
    };
    const error = await verifyByScratchRestore(extracted(), lying, pgUrl).catch((e: Error) => e);
    expect(error).toBeInstanceOf(BackupVerificationError);
    expect((error as Error).name).toBe('BackupVerificationError');
    expect((error as Error).message).toBe(
      `Restored copy differs from the backup's manifest: users (expected ${rows + 1} rows, found ${rows})`,
    );
  });

  it('names every table that differs', async () => {
    const lying = { ...manifest, digests: { ...manifest.digests, users: { rows: 99, hash: 'x' }, files: { rows: 98, hash: 'y' } } };
    await expect(verifyByScratchRestore(extracted(), lying, pgUrl)).rejects.toThrow(
      /^Restored copy differs from the backup's manifest: users \(expected 99 rows, found \d+\); files \(expected 98 rows, found \d+\)$/,
    );
  });

  it('fails when only the content differs', async () => {
    const lying = {
      ...manifest,
      digests: { ...manifest.digests, audit_log: { rows: manifest.digests['audit_log']?.rows as number, hash: '0'.repeat(32) } },
    };
    await expect(verifyByScratchRestore(extracted(), lying, pgUrl)).rejects.toThrow(
      /^Restored copy differs from the backup's manifest: audit_log \(expected \d+ rows, found \d+\)$/,
    );
  });

  it('has nothing to prove for a backup without a database', async () => {
    const filesOnly = { ...manifest, includes: { ...manifest.includes, database: false } };
    await expect(verifyByScratchRestore(join(dir, 'does-not-exist'), filesOnly, null)).resolves.toBeUndefined();
  });

  it('leaves no scratch copy behind, whether verification passes or fails', async () => {
    const before = pgUrl ? new Set(await scratchDatabases(PG_ADMIN_URL)) : new Set<string>();
    const lying = { ...manifest, digests: { ...manifest.digests, users: { rows: 999, hash: 'x' } } };
    await verifyByScratchRestore(extracted(), manifest, pgUrl);
    await expect(verifyByScratchRestore(extracted(), lying, pgUrl)).rejects.toThrow(BackupVerificationError);
    expect((await readdir(extracted())).filter((f) => f.startsWith('scratch-')).join(' ')).toBe('');
    if (!pgUrl) return;
    // Other test files may verify at the same moment: wait for theirs to go; ours must never appear.
    let leftover: string[] = [];
    for (let i = 0; i < 50; i++) {
      leftover = (await scratchDatabases(PG_ADMIN_URL)).filter((name) => !before.has(name));
      if (leftover.length === 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(leftover).toEqual([]);
    // The restore went into the scratch database, not into the server's own (where a wrong URL would land).
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    try {
      expect((await admin.query(`select tablename from pg_tables where schemaname = 'public'`)).rows).toEqual([]);
    } finally {
      await admin.end();
    }
  });
});

describe('backup verification without a server', () => {
  it('refuses to verify a PostgreSQL backup with no server to restore into', async () => {
    const manifest = {
      engine: 'postgres',
      includes: { database: true, files: false, config: false },
      digests: {},
    } as unknown as BackupManifest;
    await expect(verifyByScratchRestore('/nonexistent', manifest, null)).rejects.toThrow(
      new BackupVerificationError('A PostgreSQL backup needs a server to verify on'),
    );
  });

  it('says what verification needs when the role may not create the scratch database, and how to allow it', async () => {
    const role = `baluhost_nocreatedb_${process.pid}`;
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    try {
      await admin.query(`drop role if exists ${role}`);
      await admin.query(`create role ${role} login nocreatedb`);
      const url = new URL(PG_ADMIN_URL);
      url.username = role;
      const manifest = {
        engine: 'postgres',
        includes: { database: true, files: false, config: false },
        digests: {},
      } as unknown as BackupManifest;
      const refused = verifyByScratchRestore('/nonexistent', manifest, url.toString());
      await expect(refused).rejects.toBeInstanceOf(BackupVerificationError);
      await expect(refused).rejects.toThrow(
        `Verification restores the backup into a scratch database, and ${role} may not create one (permission denied to create database). ` +
          `Allow it once with: ALTER ROLE "${role}" CREATEDB; (as a PostgreSQL superuser), or back up with --no-verify`,
      );
    } finally {
      await admin.query(`drop role if exists ${role}`);
      await admin.end();
    }
  });
});
