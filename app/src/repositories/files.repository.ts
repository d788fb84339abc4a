import { sql, type Selectable } from 'kysely';
import type { FilesTable } from '../db/index.js';
import { onPostgres, type Executor } from './users.repository.js';

export interface FileRecord {
  id: number;
  ownerId: number;
  parentId: number | null;
  name: string;
  isDirectory: boolean;
  sizeBytes: number;
  mimeType: string | null;
  checksumSha256: string | null;
  createdAt: string;
  modifiedAt: string;
}

function toFile(row: Selectable<FilesTable>): FileRecord {
  return {
    id: row.id,
    ownerId: row.owner_id,
    parentId: row.parent_id,
    name: row.name,
    isDirectory: Boolean(row.is_directory),
    sizeBytes: row.size_bytes,
    mimeType: row.mime_type,
    checksumSha256: row.checksum_sha256,
    createdAt: row.created_at,
    modifiedAt: row.modified_at,
  };
}

/** What a folder listing needs; fewer columns is measurably faster on 1,000-entry folders. */
export type FileSummary = Pick<FileRecord, 'id' | 'ownerId' | 'name' | 'isDirectory' | 'sizeBytes' | 'mimeType' | 'modifiedAt'>;

export interface NewFile {
  ownerId: number;
  parentId: number | null;
  name: string;
  isDirectory: boolean;
  sizeBytes: number;
  mimeType: string | null;
}

/**
 * File metadata as a tree keyed by stable ids: a row knows its parent, not its path, so renaming a
 * folder touches one row. Root rows (parent_id null) are users' home folders.
 */
export function createFilesRepository(db: Executor) {
  return {
    async findById(id: number): Promise<FileRecord | undefined> {
      const row = await db.selectFrom('files').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toFile(row);
    },

    async findHome(ownerId: number): Promise<FileRecord | undefined> {
      const row = await db
        .selectFrom('files')
        .selectAll()
        .where('owner_id', '=', ownerId)
        .where('parent_id', 'is', null)
        .executeTakeFirst();
      return row && toFile(row);
    },

    async rootNameTaken(name: string): Promise<boolean> {
      const row = await db.selectFrom('files').select('id').where('parent_id', 'is', null).where('name', '=', name).executeTakeFirst();
      return row !== undefined;
    },

    /**
     * Locks a folder's row until the transaction ends (PostgreSQL; SQLite runs one write transaction
     * at a time): writes into that folder are then taken in turn, each reading what the last wrote.
     */
    async lockFolder(id: number): Promise<void> {
      if (onPostgres(db)) await db.selectFrom('files').select('id').where('id', '=', id).forUpdate().execute();
    },

    async findChild(parentId: number, name: string): Promise<FileRecord | undefined> {
      const row = await db.selectFrom('files').selectAll().where('parent_id', '=', parentId).where('name', '=', name).executeTakeFirst();
      return row && toFile(row);
    },

    /** Directories first, then names case-insensitively (the order clients show). */
    async listChildren(parentId: number): Promise<FileSummary[]> {
      const rows = await db
        .selectFrom('files')
        .select(['id', 'owner_id', 'name', 'is_directory', 'size_bytes', 'mime_type', 'modified_at'])
        .where('parent_id', '=', parentId)
        .orderBy('is_directory', 'desc')
        .orderBy(sql`lower(name)`)
        .orderBy('name')
        .execute();
      return rows.map((r) => ({
        id: r.id,
        ownerId: r.owner_id,
        name: r.name,
        isDirectory: Boolean(r.is_directory),
        sizeBytes: r.size_bytes,
        mimeType: r.mime_type,
        modifiedAt: r.modified_at,
      }));
    },

    async create(file: NewFile, now: Date): Promise<FileRecord> {
      const at = now.toISOString();
      const row = await db
        .insertInto('files')
        .values({
          owner_id: file.ownerId,
          parent_id: file.parentId,
          name: file.name,
          is_directory: file.isDirectory,
          size_bytes: file.sizeBytes,
          mime_type: file.mimeType,
          created_at: at,
          modified_at: at,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toFile(row);
    },

    async updateContent(id: number, content: { sizeBytes: number; mimeType: string | null }, now: Date): Promise<void> {
      await db
        .updateTable('files')
        .set({ size_bytes: content.sizeBytes, mime_type: content.mimeType, modified_at: now.toISOString() })
        .where('id', '=', id)
        .execute();
    },

    async rename(id: number, name: string, now: Date): Promise<void> {
      await db.updateTable('files').set({ name, modified_at: now.toISOString() }).where('id', '=', id).execute();
    },

    async move(id: number, parentId: number, now: Date): Promise<void> {
      await db.updateTable('files').set({ parent_id: parentId, modified_at: now.toISOString() }).where('id', '=', id).execute();
    },

    /** Deletes the row; foreign keys cascade to every descendant, share and link. */
    async delete(id: number): Promise<void> {
      await db.deleteFrom('files').where('id', '=', id).execute();
    },

    /** Bytes held by a file or a whole folder tree (one recursive query). */
    async subtreeBytes(id: number): Promise<number> {
      const result = await sql<{ total: number | string | null }>`
        with recursive tree(id, size_bytes) as (
          select id, size_bytes from files where id = ${id}
          union all
          select f.id, f.size_bytes from files f join tree t on f.parent_id = t.id
        )
        select coalesce(sum(size_bytes), 0) as total from tree`.execute(db);
      return Number(result.rows[0]?.total ?? 0);
    },

    /** Ids from the home folder down to `id`, inclusive (for permission checks up the tree). */
    async ancestry(id: number): Promise<FileRecord[]> {
      const result = await sql<Selectable<FilesTable> & { depth: number }>`
        with recursive chain as (
          select f.*, 0 as depth from files f where f.id = ${id}
          union all
          select p.*, c.depth + 1 from files p join chain c on p.id = c.parent_id
        )
        select * from chain order by depth desc`.execute(db);
      return result.rows.map((row) => toFile(row));
    },

    async totalBytesByOwner(): Promise<Map<number, number>> {
      const rows = await db
        .selectFrom('files')
        .select(['owner_id', (eb) => eb.fn.sum<number | string>('size_bytes').as('total')])
        .where('is_directory', '=', false)
        .groupBy('owner_id')
        .execute();
      return new Map(rows.map((r) => [r.owner_id, Number(r.total)]));
    },
  };
}

export type FilesRepository = ReturnType<typeof createFilesRepository>;
