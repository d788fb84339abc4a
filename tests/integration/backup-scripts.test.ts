import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestPostgres, digestSqliteFile } from '../../app/src/backups/digests.js';
import { generateDataset } from '../../app/src/data-safety/index.js';
import { createDatabase, migrateToLatest, type Database } from '../../app/src/db/index.js';
import { withHostLock } from '../../app/src/lib/host-lock.js';
import { createMetrics } from '../../app/src/observability/metrics.js';
import { createRepositories, createTransactionRunner, type Storage } from '../../app/src/repositories/index.js';
import pg from 'pg';
import { createThrowawayDatabase, type ThrowawayDatabase } from '../helpers/postgres.js';
import { runScript } from '../helpers/scripts.js';
import { DIALECTS } from '../helpers/test-app.js';

for (const dialect of DIALECTS) {
  describe(`backup-database and restore-database [${dialect}]`, () => {
    let dir: string;
    let pgDb: ThrowawayDatabase | undefined;
    let env: Record<string, string>;
    let database: Database;

    const digests = async () => {
      if (dialect === 'sqlite') return digestSqliteFile(join(dir, 'baluhost.db'));
      const client = new pg.Client({ connectionString: pgDb!.url });
      await client.connect();
      try {
        return await digestPostgres(client);
      } finally {
        await client.end();
      }
    };
    /** The host's operations log, one record a line. */
    const operations = async () =>
      (await readFile(join(dir, 'operations.log'), 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { action: string; outcome: string; details?: Record<string, unknown> });
    const backups = async (sub = 'backups') => (await readdir(join(dir, sub))).filter((f) => /\.tar\.gz(\.enc)?$/.test(f)).sort();

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'baluhost-bk-'));
      if (dialect === 'postgres') pgDb = await createThrowawayDatabase();
      env = { NODE_ENV: 'test', BALUHOST_DATA_DIR: dir, ...(pgDb ? { DATABASE_URL: pgDb.url } : {}) };
      database = createDatabase(
        pgDb
          ? { kind: 'postgres', url: pgDb.url, poolMax: 2, idleTimeoutMs: 1000, statementTimeoutMs: 30_000, connectTimeoutMs: 3000 }
          : { kind: 'sqlite', file: join(dir, 'baluhost.db'), busyTimeoutMs: 5000 },
      );
      await migrateToLatest(database.db, dialect);
      await generateDataset(createTransactionRunner(database.db), { users: 8, filesPerUser: 10, linksPerUser: 2, auditRows: 2000 }, 3);
    });
    afterAll(async () => {
      await database?.destroy();
      await pgDb?.drop();
      await rm(dir, { recursive: true, force: true });
    });

    it('writes a verified backup, and restoring it brings back exactly that data', async () => {
      const before = await digests();
      const made = await runScript('scripts/backup-database.ts', [], { env });
      expect(made.stderr).not.toMatch(/ERROR/);
      expect(made.code).toBe(0);
      expect(made.stdout).toMatch(/Verified: restored into a scratch database; every table matches/);
      const [file] = await backups();
      const manifestless = await readFile(join(dir, 'backups', `${file}.sha256`), 'utf8');
      expect(manifestless).toMatch(/^[0-9a-f]{64} {2}baluhost-database-/);

      await database.db.deleteFrom('audit_log').where('id', '<', 500).execute();
      await database.db.updateTable('users').set({ email: 'changed@nas.local' }).execute();
      expect(await digests()).not.toEqual(before);

      const restored = await runScript('scripts/restore-database.ts', ['--backup', join(dir, 'backups', file!), '--yes'], { env });
      expect(restored.stderr).not.toMatch(/ERROR/);
      expect(restored.code).toBe(0);
      expect(restored.stdout).toMatch(/Safety backup of the current database: .*baluhost-pre-restore-/);
      const after = await digests();
      for (const table of ['users', 'audit_log', 'files', 'share_links', 'user_shares', 'sessions'])
        expect(after[table], table).toEqual(before[table]);
      const log = await operations();
      expect(log.map((l) => `${l.action}:${l.outcome}`)).toEqual([
        'backup-database:succeeded',
        'restore-database:started',
        'restore-database:succeeded',
      ]);
      expect(log[2]).toMatchObject({ release: expect.any(String), user: expect.any(String) });
    });

    it('records every run, the nightly one included, in the catalogue the API lists and the backup metrics read', async () => {
      const repos = createRepositories(database.db);
      const metrics = createMetrics({ database, repos, storage: {} as Storage, release: 'test' });
      const gauge = async (name: string) => {
        const text = await metrics.registry.getSingleMetricAsString(name);
        return Number(/ (-?[\d.e+]+)$/m.exec(text)?.[1]);
      };
      // What baluhost-backup.timer runs on the NAS (docker exec <slot> node …/backup-database.js --out-dir … --keep-last …).
      const nightly = await runScript(
        'scripts/backup-database.ts',
        ['--out-dir', join(dir, 'backups'), '--keep-last', '7', '--keep-days', '30'],
        { env },
      );
      expect(nightly.code, nightly.stderr).toBe(0);
      const [newest] = await repos.backups.list();
      const written = /Backup written: (\S+)/.exec(nightly.stdout)?.[1] as string;
      expect(newest).toMatchObject({ status: 'completed', backupType: 'database_only', creatorId: null, errorMessage: null });
      expect(join(dir, 'backups', newest!.filename)).toBe(written);
      expect(newest!.sha256).toBe((await readFile(`${written}.sha256`, 'utf8')).split(' ')[0]);
      expect(await gauge('baluhost_backup_last_result')).toBe(1);
      expect(Math.abs((await gauge('baluhost_backup_last_success_timestamp_seconds')) - Date.now() / 1000)).toBeLessThan(120);

      // A nightly run that fails (its target folder is gone) is a failed backup in the catalogue and in the metrics.
      await writeFile(join(dir, 'not-a-folder'), '');
      const failed = await runScript('scripts/backup-database.ts', ['--out-dir', join(dir, 'not-a-folder', 'backups')], { env });
      expect(failed.code).not.toBe(0);
      const [failedRecord] = await repos.backups.list();
      expect(failedRecord).toMatchObject({ status: 'failed', errorMessage: expect.stringMatching(/ENOTDIR/) });
      expect(await gauge('baluhost_backup_last_result')).toBe(0);
      const log = await operations();
      expect(log.at(-1)).toMatchObject({
        action: 'backup-database',
        outcome: 'failed',
        details: { catalogueId: failedRecord!.id, error: expect.stringMatching(/ENOTDIR/) },
      });
    });

    it('refuses, with its reason, a damaged archive whose checksum file was recomputed after the damage', async () => {
      const made = await runScript('scripts/backup-database.ts', ['--out-dir', join(dir, 'damaged'), '--no-verify'], { env });
      expect(made.code, made.stderr).toBe(0);
      const [name] = await backups('damaged');
      const file = join(dir, 'damaged', name!);
      const bytes = await readFile(file);
      // Flip bytes inside the compressed stream, then record a checksum that matches the damage.
      for (let i = 200; i < 220; i += 1) bytes[i] = (bytes[i] as number) ^ 0xff;
      await writeFile(file, bytes);
      await writeFile(`${file}.sha256`, `${createHash('sha256').update(bytes).digest('hex')}  ${name}\n`);
      const before = await digests();
      const restored = await runScript('scripts/restore-database.ts', ['--backup', file, '--yes'], { env });
      expect(restored.code).toBe(1);
      expect(restored.stderr).toMatch(
        /^ERROR \(RestoreRefusedError\): Backup \S+ is damaged and cannot be read \(.+\), although its checksum matches/m,
      );
      expect(restored.stderr).not.toMatch(/AppError|zlib: incorrect data check\n/);
      expect(await digests()).toEqual(before);
    });

    it('leaves a failed line in the operations log when another operation holds the lock', async () => {
      const run = await withHostLock(join(dir, '.baluhost-ops.lock'), 'restore-database', () =>
        runScript('scripts/backup-database.ts', [], { env }),
      );
      expect(run.code).not.toBe(0);
      expect(run.stderr).toMatch(/LockHeldError/);
      const log = await operations();
      expect(log.at(-1)).toMatchObject({
        action: 'backup-database',
        outcome: 'failed',
        details: { error: expect.stringMatching(/^LockHeldError: /) },
      });
    });

    it('refuses a corrupted backup and changes nothing', async () => {
      await runScript('scripts/backup-database.ts', ['--no-verify', '--out-dir', join(dir, 'corrupt')], { env });
      const [file] = await backups('corrupt');
      const path = join(dir, 'corrupt', file!);
      const bytes = await readFile(path);
      bytes[bytes.length - 40] = (bytes[bytes.length - 40] ?? 0) ^ 0x55;
      await writeFile(path, bytes);
      const before = await digests();
      const run = await runScript('scripts/restore-database.ts', ['--backup', path, '--yes'], { env });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/RestoreRefusedError.*does not match .*\.sha256/);
      expect(await digests()).toEqual(before);
    });

    it('encrypts with a passphrase from a file and refuses to restore without the right one', async () => {
      const secret = join(dir, 'passphrase');
      await writeFile(secret, 'correct horse battery staple\n', { mode: 0o600 });
      const made = await runScript('scripts/backup-database.ts', ['--out-dir', join(dir, 'enc'), '--passphrase-file', secret], { env });
      expect(made.code).toBe(0);
      const [file] = await backups('enc');
      expect(file).toMatch(/\.tar\.gz\.enc$/);
      expect((await readFile(join(dir, 'enc', file!))).subarray(0, 6).toString()).toBe('BHENC1');
      const path = join(dir, 'enc', file!);
      expect((await runScript('scripts/restore-database.ts', ['--backup', path, '--yes'], { env })).stderr).toMatch(
        /encrypted: pass --passphrase-file/,
      );
      const wrong = join(dir, 'wrong');
      await writeFile(wrong, 'not the right passphrase\n');
      const bad = await runScript('scripts/restore-database.ts', ['--backup', path, '--yes', '--passphrase-file', wrong], { env });
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/DecryptionError.*wrong passphrase/);
      const good = await runScript('scripts/restore-database.ts', ['--backup', path, '--yes', '--passphrase-file', secret], { env });
      expect(good.code).toBe(0);
    });

    it('keeps only what the retention policy says', async () => {
      for (let i = 0; i < 3; i += 1)
        expect(
          (await runScript('scripts/backup-database.ts', ['--no-verify', '--out-dir', join(dir, 'ret'), '--keep-last', '2'], { env })).code,
        ).toBe(0);
      const left = await backups('ret');
      expect(left).toHaveLength(2);
      expect((await readdir(join(dir, 'ret'))).filter((f) => f.endsWith('.sha256'))).toHaveLength(2);
    });

    it.each([
      ['backup-database', ['--keep-last', '0'], /--keep-last must be a positive whole number/],
      ['backup-database', ['--frobnicate'], /Unknown option '--frobnicate'/],
      ['backup-database', ['--passphrase-file', '/nonexistent'], /no such file/],
      ['restore-database', [], /missing --backup/],
      ['restore-database', ['--backup', '/nonexistent.tar.gz'], /no such file/],
    ])('%s refuses %j with exit 2 before changing anything', async (script, args, message) => {
      const before = await backups();
      const run = await runScript(`scripts/${script}.ts`, args, { env });
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(await backups()).toEqual(before);
    });

    it('asks for confirmation: without --yes and without a terminal it refuses', async () => {
      const [file] = await backups();
      const before = await digests();
      const run = await runScript('scripts/restore-database.ts', ['--backup', join(dir, 'backups', file!)], { env });
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/pass --yes to confirm/);
      expect(await digests()).toEqual(before);
    });
  });
}
