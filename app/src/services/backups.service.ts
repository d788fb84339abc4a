import { operatorCommand } from '../lib/operator-commands.js';
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { extractArchive, inspectArchive } from '../backups/archive.js';
import { DUMP_NAME, FILES_NAME, openBackupArchive, writeBackupArchive } from '../backups/backup-archive.js';
import { restoreDatabaseKeepingCatalogue, type DumpTarget } from '../backups/database-dump.js';
import type { BackupManifest } from '../backups/manifest.js';
import type { Database } from '../db/index.js';
import { AppError, ConflictError, NotFoundError, ValidationError } from '../errors/index.js';
import type { BackupRecord, BackupType, Clock, Repositories, Storage } from '../repositories/index.js';
import type { AuditService } from './audit.service.js';
import type { Principal } from './auth.service.js';
import type { RequestContext } from './request-context.js';

export interface BackupRequest {
  backupType: BackupType;
  includesDatabase?: boolean;
  includesFiles?: boolean;
  includesConfig?: boolean;
}

export interface RestoreRequest {
  restoreDatabase: boolean;
  restoreFiles: boolean;
  restoreConfig: boolean;
}

interface BackupsDeps {
  repos: Repositories;
  database: Database;
  dumpTarget: DumpTarget;
  storage: Storage;
  backupDir: string;
  clock: Clock;
  logger: Logger;
  audit: AuditService;
  appVersion: string;
  /** Non-secret settings recorded in config.json for the operator's reference. */
  configSnapshot: Record<string, unknown>;
}

/**
 * Backups as background jobs, and restores that check everything before they touch anything:
 * archive checksum, member paths, member checksums, schema version. One job at a time.
 */
export function createBackupsService(deps: BackupsDeps) {
  const { repos, storage, clock, logger } = deps;
  let running: Promise<unknown> | null = null;

  function exclusive<T>(work: () => Promise<T>): Promise<T> {
    if (running) throw new ConflictError('Another backup or restore is running; try again when it has finished', 'backup_busy');
    const job = work().finally(() => {
      running = null;
    });
    running = job;
    return job;
  }

  async function build(backup: BackupRecord): Promise<void> {
    const written = await writeBackupArchive({
      database: deps.database,
      dumpTarget: deps.dumpTarget,
      outFile: join(deps.backupDir, backup.filename),
      backupType: backup.backupType,
      includes: { database: backup.includesDatabase, files: backup.includesFiles, config: backup.includesConfig },
      storage,
      appVersion: deps.appVersion,
      configSnapshot: deps.configSnapshot,
    });
    await repos.backups.markCompleted(backup.id, { sizeBytes: written.size, sha256: written.sha256 }, clock.now());
  }

  /** Puts the extracted home folders in place of the current ones; returns how to undo it. */
  async function swapFiles(extracted: string): Promise<{ undo(): Promise<void>; commit(): Promise<void> }> {
    const aside = join(storage.root, '.baluhost-trash', `pre-restore-${randomUUID()}`);
    await mkdir(aside, { recursive: true });
    const current = await storage.homeFolders();
    const incoming = await readdir(extracted);
    const movedAside: string[] = [];
    const movedIn: string[] = [];
    const undo = async () => {
      for (const name of movedIn) await rm(join(storage.root, name), { recursive: true, force: true });
      for (const name of movedAside) await rename(join(aside, name), join(storage.root, name));
      await rm(aside, { recursive: true, force: true });
    };
    try {
      for (const name of current) {
        await rename(join(storage.root, name), join(aside, name));
        movedAside.push(name);
      }
      for (const name of incoming) {
        await rename(join(extracted, name), join(storage.root, name));
        movedIn.push(name);
      }
    } catch (err) {
      await undo();
      throw err;
    }
    return { undo, commit: () => rm(aside, { recursive: true, force: true }) };
  }

  const verifiedArchive = (backup: BackupRecord, staging: string): Promise<BackupManifest> =>
    openBackupArchive(join(deps.backupDir, backup.filename), backup.sha256, staging);

  return {
    async create(ctx: RequestContext, principal: Principal, request: BackupRequest): Promise<BackupRecord> {
      const includesDatabase = request.includesDatabase ?? request.backupType !== 'files_only';
      const includesFiles = request.includesFiles ?? request.backupType !== 'database_only';
      if (!includesDatabase && !includesFiles)
        throw ValidationError.field(['body', 'backup_type'], 'a backup must include the database, the files, or both');
      if (running) throw new ConflictError('Another backup or restore is running; try again when it has finished', 'backup_busy');
      await mkdir(deps.backupDir, { recursive: true });
      const stamp = clock.now().toISOString().replace(/[:.]/g, '-');
      const backup = await repos.backups.create(
        {
          filename: `baluhost-${request.backupType}-${stamp}-${randomUUID().slice(0, 8)}.tar.gz`,
          backupType: request.backupType,
          includesDatabase,
          includesFiles,
          includesConfig: request.includesConfig ?? false,
          creatorId: principal.user.id,
        },
        clock.now(),
      );
      void exclusive(async () => {
        await repos.backups.markRunning(backup.id);
        try {
          await build(backup);
          await deps.audit.recordBy(ctx, principal, {
            eventType: 'backup',
            action: 'create_backup',
            resource: backup.filename,
            success: true,
            details: { backup_id: backup.id },
          });
        } catch (err) {
          logger.error({ err, backupId: backup.id, reqId: ctx.requestId }, 'backup failed');
          await repos.backups.markFailed(backup.id, (err as Error).message, clock.now());
          await deps.audit.recordBy(ctx, principal, {
            eventType: 'backup',
            action: 'create_backup',
            resource: backup.filename,
            success: false,
            errorMessage: (err as Error).message,
          });
        }
      }).catch((err: unknown) => logger.error({ err }, 'backup job crashed'));
      return backup;
    },

    /** Resolves when the current job (if any) has finished; for tests and graceful shutdown. */
    idle: async () => {
      await running?.catch(() => undefined);
    },

    list: () => repos.backups.list(),

    async get(id: number): Promise<BackupRecord> {
      const backup = await repos.backups.find(id);
      if (!backup) throw new NotFoundError(`Backup not found: id=${id}`, 'backup_not_found');
      return backup;
    },

    async remove(ctx: RequestContext, principal: Principal, id: number): Promise<void> {
      const backup = await this.get(id);
      if (backup.status === 'running' || backup.status === 'pending')
        throw new ConflictError('Backup is still being written', 'backup_busy');
      await rm(join(deps.backupDir, backup.filename), { force: true });
      await rm(join(deps.backupDir, `${backup.filename}.sha256`), { force: true });
      await repos.backups.delete(id);
      await deps.audit.recordBy(ctx, principal, { eventType: 'backup', action: 'delete_backup', resource: backup.filename, success: true });
    },

    async openDownload(id: number) {
      const backup = await this.get(id);
      if (backup.status !== 'completed') throw new ConflictError(`Backup is ${backup.status}, not ready to download`, 'backup_not_ready');
      const path = join(deps.backupDir, backup.filename);
      return { backup, size: (await stat(path)).size, stream: createReadStream(path) };
    },

    async restore(
      ctx: RequestContext,
      principal: Principal,
      id: number,
      request: RestoreRequest,
    ): Promise<{ restoredAt: string; message: string }> {
      const backup = await this.get(id);
      if (backup.status !== 'completed')
        throw new ConflictError(`Backup is ${backup.status}; only completed backups can be restored`, 'backup_not_ready');
      if (!request.restoreDatabase && !request.restoreFiles)
        throw ValidationError.field(['body'], 'choose restore_database, restore_files, or both');
      if (backup.filename.endsWith('.enc'))
        throw new ConflictError(
          `Backup ${backup.filename} is encrypted with a passphrase the server does not hold; restore it with ${operatorCommand('restore', '--backup <file> --passphrase-file <file>')}`,
          'backup_encrypted',
        );
      return exclusive(async () => {
        const staging = join(deps.backupDir, `.restore-${id}-${randomUUID()}`);
        try {
          const manifest = await verifiedArchive(backup, staging);
          if (request.restoreDatabase && !manifest.includes.database)
            throw ValidationError.field(['body', 'restore_database'], 'this backup holds no database');
          if (request.restoreFiles && !manifest.includes.files)
            throw ValidationError.field(['body', 'restore_files'], 'this backup holds no files');
          if (request.restoreDatabase && manifest.engine !== deps.database.dialect) {
            throw new AppError(
              409,
              'backup_engine_mismatch',
              `Backup holds a ${manifest.engine} database; this server runs ${deps.database.dialect} (use scripts/migrate-to-postgres to move between them)`,
            );
          }
          let files: Awaited<ReturnType<typeof swapFiles>> | undefined;
          if (request.restoreFiles) {
            const extracted = join(staging, 'files');
            if (manifest.members.some((m) => m.path === FILES_NAME)) {
              try {
                await inspectArchive(join(staging, FILES_NAME));
              } catch (err) {
                throw new AppError(422, 'backup_unsafe', (err as Error).message);
              }
              await extractArchive(join(staging, FILES_NAME), extracted);
            } else {
              await mkdir(extracted, { recursive: true });
            }
            files = await swapFiles(extracted);
          }
          try {
            if (request.restoreDatabase) {
              await restoreDatabaseKeepingCatalogue(deps.database, deps.dumpTarget, join(staging, DUMP_NAME[manifest.engine]));
            }
          } catch (err) {
            await files?.undo();
            throw err;
          }
          await files?.commit();
          const restoredAt = clock.now().toISOString();
          const parts = [request.restoreDatabase && 'database', request.restoreFiles && 'files'].filter(Boolean).join(' and ');
          const note = request.restoreConfig
            ? " Configuration comes from the environment; the archive's config.json is for reference."
            : '';
          await deps.audit.recordBy(ctx, principal, {
            eventType: 'backup',
            action: 'restore_backup',
            resource: backup.filename,
            success: true,
            details: { backup_id: id, database: request.restoreDatabase, files: request.restoreFiles },
          });
          return { restoredAt, message: `Restored ${parts} from ${backup.filename}.${note}` };
        } catch (err) {
          await deps.audit.recordBy(ctx, principal, {
            eventType: 'backup',
            action: 'restore_backup',
            resource: backup.filename,
            success: false,
            errorMessage: (err as Error).message,
          });
          throw err;
        } finally {
          await rm(staging, { recursive: true, force: true });
        }
      });
    },
  };
}

export type BackupsService = ReturnType<typeof createBackupsService>;
