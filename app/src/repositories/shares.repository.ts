import { sql, type Selectable } from 'kysely';
import type { ShareLinksTable, UserSharesTable } from '../db/index.js';
import type { Executor } from './users.repository.js';

export interface ShareLink {
  id: number;
  tokenHash: string;
  tokenSealed: string;
  fileId: number;
  ownerId: number;
  passwordHash: string | null;
  allowDownload: boolean;
  allowPreview: boolean;
  maxDownloads: number | null;
  downloadCount: number;
  expiresAt: string | null;
  description: string | null;
  createdAt: string;
  lastAccessedAt: string | null;
}

export interface UserShare {
  id: number;
  fileId: number;
  ownerId: number;
  sharedWithUserId: number;
  canRead: boolean;
  canWrite: boolean;
  canDelete: boolean;
  canShare: boolean;
  expiresAt: string | null;
  createdAt: string;
}

export type SharePermission = 'can_read' | 'can_write' | 'can_delete' | 'can_share';

function toLink(row: Selectable<ShareLinksTable>): ShareLink {
  return {
    id: row.id,
    tokenHash: row.token_hash,
    tokenSealed: row.token_sealed,
    fileId: row.file_id,
    ownerId: row.owner_id,
    passwordHash: row.password_hash,
    allowDownload: Boolean(row.allow_download),
    allowPreview: Boolean(row.allow_preview),
    maxDownloads: row.max_downloads,
    downloadCount: row.download_count,
    expiresAt: row.expires_at,
    description: row.description,
    createdAt: row.created_at,
    lastAccessedAt: row.last_accessed_at,
  };
}

function toUserShare(row: Selectable<UserSharesTable>): UserShare {
  return {
    id: row.id,
    fileId: row.file_id,
    ownerId: row.owner_id,
    sharedWithUserId: row.shared_with_user_id,
    canRead: Boolean(row.can_read),
    canWrite: Boolean(row.can_write),
    canDelete: Boolean(row.can_delete),
    canShare: Boolean(row.can_share),
    expiresAt: row.expires_at,
    createdAt: row.created_at,
  };
}

export interface NewShareLink {
  tokenHash: string;
  tokenSealed: string;
  fileId: number;
  ownerId: number;
  passwordHash: string | null;
  allowDownload: boolean;
  allowPreview: boolean;
  maxDownloads: number | null;
  expiresAt: string | null;
  description: string | null;
}

export interface ShareGrant {
  canRead: boolean;
  canWrite: boolean;
  canDelete: boolean;
  canShare: boolean;
  expiresAt: string | null;
}

export function createSharesRepository(db: Executor) {
  return {
    async createLink(link: NewShareLink, now: Date): Promise<ShareLink> {
      const row = await db
        .insertInto('share_links')
        .values({
          token_hash: link.tokenHash,
          token_sealed: link.tokenSealed,
          file_id: link.fileId,
          owner_id: link.ownerId,
          password_hash: link.passwordHash,
          allow_download: link.allowDownload,
          allow_preview: link.allowPreview,
          max_downloads: link.maxDownloads,
          expires_at: link.expiresAt,
          description: link.description,
          created_at: now.toISOString(),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toLink(row);
    },

    async findLink(id: number): Promise<ShareLink | undefined> {
      const row = await db.selectFrom('share_links').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toLink(row);
    },

    async findLinkByTokenHash(tokenHash: string): Promise<ShareLink | undefined> {
      const row = await db.selectFrom('share_links').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
      return row && toLink(row);
    },

    async linkTokens(): Promise<{ id: number; tokenSealed: string }[]> {
      const rows = await db.selectFrom('share_links').select(['id', 'token_sealed']).orderBy('id').execute();
      return rows.map((r) => ({ id: r.id, tokenSealed: r.token_sealed }));
    },

    async setLinkTokenSealed(id: number, tokenSealed: string): Promise<void> {
      await db.updateTable('share_links').set({ token_sealed: tokenSealed }).where('id', '=', id).execute();
    },

    /** Links a user made, and links others made on that user's files (null: every link). */
    async listLinks(ownerId: number | null): Promise<ShareLink[]> {
      let query = db.selectFrom('share_links').selectAll();
      if (ownerId !== null)
        query = query.where((eb) =>
          eb.or([eb('owner_id', '=', ownerId), eb('file_id', 'in', eb.selectFrom('files').select('id').where('owner_id', '=', ownerId))]),
        );
      return (await query.orderBy('id', 'desc').execute()).map(toLink);
    },

    async updateLink(
      id: number,
      changes: Partial<Omit<NewShareLink, 'tokenHash' | 'tokenSealed' | 'fileId' | 'ownerId'>>,
    ): Promise<ShareLink | undefined> {
      const row = await db
        .updateTable('share_links')
        .set({
          ...(changes.passwordHash !== undefined && { password_hash: changes.passwordHash }),
          ...(changes.allowDownload !== undefined && { allow_download: changes.allowDownload }),
          ...(changes.allowPreview !== undefined && { allow_preview: changes.allowPreview }),
          ...(changes.maxDownloads !== undefined && { max_downloads: changes.maxDownloads }),
          ...(changes.expiresAt !== undefined && { expires_at: changes.expiresAt }),
          ...(changes.description !== undefined && { description: changes.description }),
        })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      return row && toLink(row);
    },

    async deleteLink(id: number): Promise<void> {
      await db.deleteFrom('share_links').where('id', '=', id).execute();
    },

    async touchLink(id: number, now: Date): Promise<void> {
      await db.updateTable('share_links').set({ last_accessed_at: now.toISOString() }).where('id', '=', id).execute();
    },

    /**
     * Counts one download if the link still allows it: one conditional UPDATE, so concurrent
     * downloads can never exceed max_downloads or slip past the expiry.
     */
    async claimDownload(id: number, now: Date): Promise<boolean> {
      const at = now.toISOString();
      const result = await db
        .updateTable('share_links')
        .set({ download_count: sql`download_count + 1`, last_accessed_at: at })
        .where('id', '=', id)
        .where((eb) => eb.or([eb('max_downloads', 'is', null), eb('download_count', '<', eb.ref('max_downloads'))]))
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', at)]))
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async createUserShare(
      share: { fileId: number; ownerId: number; sharedWithUserId: number } & ShareGrant,
      now: Date,
    ): Promise<UserShare> {
      const row = await db
        .insertInto('user_shares')
        .values({
          file_id: share.fileId,
          owner_id: share.ownerId,
          shared_with_user_id: share.sharedWithUserId,
          can_read: share.canRead,
          can_write: share.canWrite,
          can_delete: share.canDelete,
          can_share: share.canShare,
          expires_at: share.expiresAt,
          created_at: now.toISOString(),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toUserShare(row);
    },

    async findUserShare(id: number): Promise<UserShare | undefined> {
      const row = await db.selectFrom('user_shares').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toUserShare(row);
    },

    /** Shares a user granted, and shares others granted on that user's files (null: every share). */
    async listUserSharesByOwner(ownerId: number | null): Promise<UserShare[]> {
      let query = db.selectFrom('user_shares').selectAll();
      if (ownerId !== null)
        query = query.where((eb) =>
          eb.or([eb('owner_id', '=', ownerId), eb('file_id', 'in', eb.selectFrom('files').select('id').where('owner_id', '=', ownerId))]),
        );
      return (await query.orderBy('id', 'desc').execute()).map(toUserShare);
    },

    async listUserSharesForFile(fileId: number): Promise<UserShare[]> {
      return (await db.selectFrom('user_shares').selectAll().where('file_id', '=', fileId).orderBy('shared_with_user_id').execute()).map(
        toUserShare,
      );
    },

    async listSharedWith(userId: number, now: Date): Promise<UserShare[]> {
      const rows = await db
        .selectFrom('user_shares')
        .selectAll()
        .where('shared_with_user_id', '=', userId)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now.toISOString())]))
        .orderBy('id', 'desc')
        .execute();
      return rows.map(toUserShare);
    },

    async updateUserShare(id: number, changes: Partial<ShareGrant>): Promise<UserShare | undefined> {
      const row = await db
        .updateTable('user_shares')
        .set({
          ...(changes.canRead !== undefined && { can_read: changes.canRead }),
          ...(changes.canWrite !== undefined && { can_write: changes.canWrite }),
          ...(changes.canDelete !== undefined && { can_delete: changes.canDelete }),
          ...(changes.canShare !== undefined && { can_share: changes.canShare }),
          ...(changes.expiresAt !== undefined && { expires_at: changes.expiresAt }),
        })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      return row && toUserShare(row);
    },

    async deleteUserShare(id: number): Promise<void> {
      await db.deleteFrom('user_shares').where('id', '=', id).execute();
    },

    async deleteUserSharesForFile(fileId: number): Promise<void> {
      await db.deleteFrom('user_shares').where('file_id', '=', fileId).execute();
    },

    /** Who granted `userId` `permission` on any of `fileIds` (a file and its folders) by a share that has not expired. */
    async grantersOf(userId: number, fileIds: number[], permission: SharePermission, now: Date): Promise<number[]> {
      if (fileIds.length === 0) return [];
      const rows = await db
        .selectFrom('user_shares')
        .select('owner_id')
        .distinct()
        .where('shared_with_user_id', '=', userId)
        .where('file_id', 'in', fileIds)
        .where(permission, '=', true)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now.toISOString())]))
        .execute();
      return rows.map((r) => r.owner_id);
    },
  };
}

export type SharesRepository = ReturnType<typeof createSharesRepository>;
