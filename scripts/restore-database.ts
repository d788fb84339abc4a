/**
 * Restores BaluHost's database from a backup archive (made by backup-database or the backups API).
 *   npm run restore:database -- --backup <file> [--yes] [--passphrase-file F]
 * Checks the archive first (checksum, member paths and hashes, schema version), takes a safety
 * backup of the current database, then replaces it in one transaction.
 */
import { operatorCommand } from '../app/src/lib/operator-commands.js';
import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import {
  decryptFile,
  DUMP_NAME,
  dumpTargetFor,
  isEncrypted,
  openBackupArchive,
  readChecksumFile,
  restoreDatabaseKeepingCatalogue,
  sha256File,
  writeBackupArchive,
} from '../app/src/backups/index.js';
import { parseConfig } from '../app/src/config/index.js';
import { createDatabase } from '../app/src/db/index.js';
import { AppError } from '../app/src/errors/index.js';
import { withHostLock } from '../app/src/lib/host-lock.js';
import { appendOperation } from '../app/src/lib/operations-log.js';
import { opsPaths, readPassphrase, requireFile } from './lib/backup-cli.js';
import { parseCli, runCli, UsageError } from './lib/cli.js';

const USAGE = 'usage: restore-database --backup <file> [--yes] [--passphrase-file <file>]';

class RestoreRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RestoreRefusedError';
  }
}

runCli(async () => {
  const args = parseCli(
    process.argv.slice(2),
    { backup: { type: 'string' }, yes: { type: 'boolean' }, 'passphrase-file': { type: 'string' } },
    USAGE,
    ['backup'],
  );
  const backup = resolve(args.backup as string);
  await requireFile(backup, '--backup');
  const passphrase = await readPassphrase(args['passphrase-file']);
  const config = parseConfig(process.env);
  const paths = opsPaths(config);
  const work = join(config.backups.dir, `.restore-${randomUUID()}`);
  await mkdir(work, { recursive: true });
  const database = createDatabase(config.database);
  try {
    const recorded = await readChecksumFile(backup);
    if (recorded === null)
      throw new RestoreRefusedError(`${backup}.sha256 is missing: the backup cannot be checked, so it is not restored`);
    if ((await sha256File(backup)) !== recorded)
      throw new RestoreRefusedError(`${basename(backup)} does not match ${basename(backup)}.sha256; it is damaged or was changed`);
    let archive = backup;
    if (await isEncrypted(backup)) {
      if (!passphrase) throw new UsageError(`${basename(backup)} is encrypted: pass --passphrase-file`);
      archive = join(work, 'decrypted.tar.gz');
      await decryptFile(backup, archive, passphrase);
    }
    const manifest = await openBackupArchive(archive, await sha256File(archive), join(work, 'extracted')).catch((err: unknown) => {
      // What makes a backup unusable is a refusal to restore, with its reason, never a bare library error.
      if (err instanceof AppError && /^backup_(corrupt|unsafe|schema_newer)$/.test(err.code)) throw new RestoreRefusedError(err.message);
      throw err;
    });
    if (!manifest.includes.database) throw new RestoreRefusedError(`${basename(backup)} holds no database`);
    if (manifest.engine !== config.database.kind)
      throw new RestoreRefusedError(`${basename(backup)} holds a ${manifest.engine} database; this BaluHost uses ${config.database.kind}`);

    const rows = Object.values(manifest.row_counts).reduce((n, r) => n + r, 0);
    console.log(
      `Backup ${basename(backup)}: ${manifest.engine}, made ${manifest.created_at} by BaluHost ${manifest.app_version}, ${rows} rows.`,
    );
    if (!args.yes) {
      if (!process.stdin.isTTY)
        throw new UsageError('restore replaces the current database: pass --yes to confirm when not running interactively');
      const prompt = createInterface({ input: process.stdin, output: process.stdout });
      const answer = await prompt
        .question('This replaces the current database (a safety backup is taken first). Type "restore" to continue: ')
        .finally(() => prompt.close());
      if (answer.trim() !== 'restore') throw new RestoreRefusedError('Not confirmed; nothing was changed');
    }

    return await withHostLock(paths.lock, 'restore-database', async () => {
      await appendOperation(paths.log, { action: 'restore-database', outcome: 'started', release: config.version, details: { backup } });
      try {
        await mkdir(config.backups.dir, { recursive: true });
        const stamp = new Date().toISOString().replace(/[:.]/g, '-');
        const safety = await writeBackupArchive({
          database,
          dumpTarget: dumpTargetFor(config.database),
          outFile: join(config.backups.dir, `baluhost-pre-restore-${stamp}.tar.gz`),
          backupType: 'database_only',
          includes: { database: true, files: false, config: false },
          appVersion: config.version,
        });
        console.log(`Safety backup of the current database: ${safety.file}`);
        await restoreDatabaseKeepingCatalogue(
          database,
          dumpTargetFor(config.database),
          join(work, 'extracted', DUMP_NAME[manifest.engine]),
        );
        await appendOperation(paths.log, {
          action: 'restore-database',
          outcome: 'succeeded',
          release: config.version,
          details: { backup, safety_backup: safety.file },
        });
        console.log(
          `Restored ${rows} rows from ${basename(backup)}. To undo: ${operatorCommand('restore', `--backup ${safety.file} --yes`)}`,
        );
        return 0;
      } catch (err) {
        await appendOperation(paths.log, {
          action: 'restore-database',
          outcome: 'failed',
          release: config.version,
          details: { backup, error: (err as Error).message },
        });
        throw err;
      }
    });
  } finally {
    await database.destroy();
    await rm(work, { recursive: true, force: true });
  }
});
