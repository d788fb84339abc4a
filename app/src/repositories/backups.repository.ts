import { sql, type Selectable } from 'kysely';
import type { BackupsTable } from '../db/index.js';
import type { Executor } from './users.repository.js';

export type BackupType = 'full' | 'database_only' | 'files_only';
export type BackupStatus = 'pending' | 'running' | 'completed' | 'failed';

export interface BackupRecord {
  id: number;
  filename: string;
  sizeBytes: number;
  backupType: BackupType;
  status: BackupStatus;
  includesDatabase: boolean;
  includesFiles: boolean;
  includesConfig: boolean;
  sha256: string | null;
  creatorId: number | null;
  errorMessage: string | null;
  createdAt: string;
  completedAt: string | null;
}

function toBackup(row: Selectable<BackupsTable>): BackupRecord {
  return {
    id: row.id,
    filename: row.filename,
    sizeBytes: row.size_bytes,
    backupType: row.backup_type,
    status: row.status,
    includesDatabase: Boolean(row.includes_database),
    includesFiles: Boolean(row.includes_files),
    includesConfig: Boolean(row.includes_config),
    sha256: row.sha256,
    creatorId: row.creator_id,
    errorMessage: row.error_message,
    createdAt: row.created_at,
    completedAt: row.completed_at,
  };
}

export function createBackupsRepository(db: Executor) {
  return {
    async create(
      b: {
        filename: string;
        backupType: BackupType;
        includesDatabase: boolean;
        includesFiles: boolean;
        includesConfig: boolean;
        creatorId: number | null;
      },
      now: Date,
    ): Promise<BackupRecord> {
      const row = await db
        .insertInto('backups')
        .values({
          filename: b.filename,
          backup_type: b.backupType,
          status: 'pending',
          includes_database: b.includesDatabase,
          includes_files: b.includesFiles,
          includes_config: b.includesConfig,
          creator_id: b.creatorId,
          created_at: now.toISOString(),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toBackup(row);
    },

    async find(id: number): Promise<BackupRecord | undefined> {
      const row = await db.selectFrom('backups').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toBackup(row);
    },

    async list(): Promise<BackupRecord[]> {
      return (await db.selectFrom('backups').selectAll().orderBy('id', 'desc').execute()).map(toBackup);
    },

    async markRunning(id: number): Promise<void> {
      await db.updateTable('backups').set({ status: 'running' }).where('id', '=', id).execute();
    },

    async markCompleted(id: number, result: { sizeBytes: number; sha256: string }, now: Date): Promise<void> {
      await db
        .updateTable('backups')
        .set({
          status: 'completed',
          size_bytes: result.sizeBytes,
          sha256: result.sha256,
          completed_at: now.toISOString(),
          error_message: null,
        })
        .where('id', '=', id)
        .execute();
    },

    async markFailed(id: number, message: string, now: Date): Promise<void> {
      await db
        .updateTable('backups')
        .set({ status: 'failed', error_message: message.slice(0, 2000), completed_at: now.toISOString() })
        .where('id', '=', id)
        .execute();
    },

    async delete(id: number): Promise<void> {
      await db.deleteFrom('backups').where('id', '=', id).execute();
    },

    /** Forgets a backup whose file retention removed. */
    async deleteByFilename(filename: string): Promise<void> {
      await db.deleteFrom('backups').where('filename', '=', filename).execute();
    },

    /** Raw rows, to carry the catalogue of backups on disk across a database restore. */
    async snapshot(): Promise<Selectable<BackupsTable>[]> {
      return db.selectFrom('backups').selectAll().orderBy('id').execute();
    },

    async replaceAll(rows: Selectable<BackupsTable>[], dialect: 'sqlite' | 'postgres'): Promise<void> {
      await db.deleteFrom('backups').execute();
      for (const row of rows) {
        await db
          .insertInto('backups')
          .values({
            ...row,
            includes_database: Boolean(row.includes_database),
            includes_files: Boolean(row.includes_files),
            includes_config: Boolean(row.includes_config),
          })
          .execute();
      }
      // Explicit ids do not move PostgreSQL's identity sequence; the next backup must not reuse one.
      if (dialect === 'postgres') {
        await sql`select setval(pg_get_serial_sequence('backups', 'id'), coalesce((select max(id) from backups), 0) + 1, false)`.execute(
          db,
        );
      }
    },
  };
}

export type BackupsRepository = ReturnType<typeof createBackupsRepository>;
