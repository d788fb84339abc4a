/**
 * Backs up BaluHost's database (SQLite or PostgreSQL, as configured) into a verified archive.
 *   npm run backup:database -- [--out-dir DIR] [--keep-last N] [--keep-days D] [--passphrase-file F] [--no-verify]
 * Every backup is restored into a scratch database and compared table by table unless --no-verify.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
import {
  backupsToDelete,
  dumpTargetFor,
  encryptFile,
  openBackupArchive,
  sha256File,
  verifyByScratchRestore,
  writeBackupArchive,
} from '../app/src/backups/index.js';
import { parseConfig } from '../app/src/config/index.js';
import { createDatabase } from '../app/src/db/index.js';
import { createRepositories } from '../app/src/repositories/index.js';
import { withHostLock } from '../app/src/lib/host-lock.js';
import { appendOperation } from '../app/src/lib/operations-log.js';
import { opsPaths, readPassphrase } from './lib/backup-cli.js';
import { parseCli, positiveInt, runCli } from './lib/cli.js';

const USAGE = 'usage: backup-database [--out-dir <dir>] [--keep-last N] [--keep-days N] [--passphrase-file <file>] [--no-verify]';
const NAME = /^baluhost-database-(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z)\.tar\.gz(\.enc)?$/;

runCli(async () => {
  const args = parseCli(
    process.argv.slice(2),
    {
      'out-dir': { type: 'string' },
      'keep-last': { type: 'string' },
      'keep-days': { type: 'string' },
      'passphrase-file': { type: 'string' },
      'no-verify': { type: 'boolean' },
    },
    USAGE,
  );
  const keepLast = args['keep-last'] === undefined ? undefined : positiveInt(args['keep-last'], 'keep-last', 1);
  const keepDays = args['keep-days'] === undefined ? undefined : positiveInt(args['keep-days'], 'keep-days', 1);
  const passphrase = await readPassphrase(args['passphrase-file']);
  const config = parseConfig(process.env);
  const outDir = resolve(args['out-dir'] ?? config.backups.dir);
  const paths = opsPaths(config);
  const database = createDatabase(config.database);
  const catalogue = createRepositories(database.db).backups;
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = join(outDir, `baluhost-database-${stamp}.tar.gz`);
  // One catalogue for every backup, whoever starts it: the API lists this run, and the backup
  // metrics (and so the BaluHostBackupTooOld/Failed alerts) read it. Filenames are relative to the
  // API's backup folder, so the API can download a backup written there.
  const catalogued = (path: string) => relative(config.backups.dir, path);
  // Set inside the locked work, read by the failure path: an object, so TypeScript does not assume it stayed null.
  const run: { catalogueId: number | null } = { catalogueId: null };
  try {
    return await withHostLock(paths.lock, 'backup-database', async () => {
      const record = await catalogue.create(
        {
          filename: catalogued(passphrase ? `${file}.enc` : file),
          backupType: 'database_only',
          includesDatabase: true,
          includesFiles: false,
          includesConfig: false,
          creatorId: null,
        },
        new Date(),
      );
      run.catalogueId = record.id;
      await catalogue.markRunning(record.id);
      await mkdir(outDir, { recursive: true });
      const started = process.hrtime.bigint();
      const written = await writeBackupArchive({
        database,
        dumpTarget: dumpTargetFor(config.database),
        outFile: file,
        backupType: 'database_only',
        includes: { database: true, files: false, config: false },
        appVersion: config.version,
      });
      let verified = false;
      if (!args['no-verify']) {
        const staging = join(outDir, `.verify-${randomUUID()}`);
        try {
          const manifest = await openBackupArchive(file, written.sha256, staging);
          await verifyByScratchRestore(
            staging,
            manifest,
            config.database.kind === 'postgres' ? config.database.url : null,
            config.database.kind === 'postgres' ? (config.database.toolsContainer ?? null) : null,
          );
          verified = true;
        } catch (err) {
          await rm(file, { force: true });
          await rm(`${file}.sha256`, { force: true });
          throw err;
        } finally {
          await rm(staging, { recursive: true, force: true });
        }
      }
      let final = file;
      let sha256 = written.sha256;
      if (passphrase) {
        final = `${file}.enc`;
        await encryptFile(file, final, passphrase);
        await rm(file);
        await rm(`${file}.sha256`, { force: true });
        sha256 = await sha256File(final);
        await writeFile(`${final}.sha256`, `${sha256}  ${basename(final)}\n`);
      }
      const size = (await stat(final)).size;
      await catalogue.markCompleted(record.id, { sizeBytes: size, sha256 }, new Date());
      const removed = await applyRetention(outDir, { keepLast, keepDays }, basename(final));
      for (const name of removed) await catalogue.deleteByFilename(catalogued(join(outDir, name)));
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const rows = Object.values(written.manifest.row_counts).reduce((n, r) => n + r, 0);
      await appendOperation(paths.log, {
        action: 'backup-database',
        outcome: 'succeeded',
        release: config.version,
        details: { file: final, sha256, rows, verified, encrypted: Boolean(passphrase), catalogueId: record.id },
      });
      console.log(`Backup written: ${final} (${size} bytes, ${rows} rows, engine ${written.manifest.engine})`);
      console.log(verified ? 'Verified: restored into a scratch database; every table matches.' : 'Not verified (--no-verify).');
      if (passphrase) console.log('Encrypted with the passphrase; keep it safe: without it the backup cannot be restored.');
      for (const r of removed) console.log(`Retention removed ${r}`);
      console.log(`Took ${seconds.toFixed(2)} s.`);
      return 0;
    });
  } catch (err) {
    // A failed run is as much a part of the record as a good one: the catalogue (when the database
    // answers) and the operations log (always) say what failed and why.
    const message = err instanceof Error ? `${err.constructor.name}: ${err.message}` : String(err);
    if (run.catalogueId !== null) await catalogue.markFailed(run.catalogueId, message, new Date()).catch(() => undefined);
    await appendOperation(paths.log, {
      action: 'backup-database',
      outcome: 'failed',
      release: config.version,
      details: { file, error: message, ...(run.catalogueId !== null ? { catalogueId: run.catalogueId } : {}) },
    }).catch(() => undefined);
    throw err;
  } finally {
    await database.destroy();
  }
});

async function applyRetention(dir: string, policy: { keepLast?: number; keepDays?: number }, keep: string): Promise<string[]> {
  const entries = (await readdir(dir))
    .map((file) => ({ file, match: NAME.exec(file) }))
    .filter((e): e is { file: string; match: RegExpExecArray } => e.match !== null)
    .map((e) => ({
      file: e.file,
      createdAt: new Date((e.match[1] as string).replace(/T(\d{2})-(\d{2})-(\d{2})-(\d{3})Z/, 'T$1:$2:$3.$4Z')),
    }));
  const doomed = backupsToDelete(entries, policy, new Date()).filter((f) => f !== keep);
  for (const file of doomed) {
    await rm(join(dir, file), { force: true });
    await rm(join(dir, `${file}.sha256`), { force: true });
  }
  return doomed;
}
