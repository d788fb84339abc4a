import { PostgresAdapter, sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { DB, UsersTable } from '../db/index.js';

export type Role = 'admin' | 'user';

export interface User {
  id: number;
  username: string;
  email: string;
  role: Role;
  isActive: boolean;
  quotaBytes: number | null;
  usedBytes: number;
  passwordChangedAt: string;
  createdAt: string;
  updatedAt: string;
  /** The name the profile picture is served under, null without one. */
  avatarKey: string | null;
}

export interface NewUser {
  username: string;
  email: string;
  passwordHash: string;
  role: Role;
  isActive: boolean;
  quotaBytes?: number | null;
}

export type Executor = Kysely<DB> | Transaction<DB>;

/** Row locks (`FOR UPDATE`) exist on PostgreSQL only; SQLite runs one write transaction at a time anyway. */
export function onPostgres(db: Executor): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

export function toUser(row: Selectable<UsersTable>): User {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    role: row.role,
    isActive: Boolean(row.is_active),
    quotaBytes: row.quota_bytes,
    usedBytes: row.used_bytes,
    passwordChangedAt: row.password_changed_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    avatarKey: row.avatar_key,
  };
}

export function createUsersRepository(db: Executor) {
  return {
    /** Replaces a user's profile picture and the name it is served under (call inside a transaction). */
    async setAvatar(userId: number, avatar: { key: string; contentType: string; bytes: Buffer }, now: Date): Promise<void> {
      const row = {
        content_type: avatar.contentType,
        size_bytes: avatar.bytes.length,
        data_base64: avatar.bytes.toString('base64'),
        updated_at: now.toISOString(),
      };
      await db
        .insertInto('user_avatars')
        .values({ user_id: userId, ...row })
        .onConflict((oc) => oc.column('user_id').doUpdateSet(row))
        .execute();
      await db.updateTable('users').set({ avatar_key: avatar.key, updated_at: now.toISOString() }).where('id', '=', userId).execute();
    },

    async findAvatar(key: string): Promise<{ contentType: string; bytes: Buffer; updatedAt: string } | undefined> {
      const row = await db
        .selectFrom('users')
        .innerJoin('user_avatars', 'user_avatars.user_id', 'users.id')
        .select(['user_avatars.content_type', 'user_avatars.data_base64', 'user_avatars.updated_at'])
        .where('users.avatar_key', '=', key)
        .executeTakeFirst();
      return row && { contentType: row.content_type, bytes: Buffer.from(row.data_base64, 'base64'), updatedAt: row.updated_at };
    },

    async findById(id: number): Promise<User | undefined> {
      const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toUser(row);
    },

    /** Case-insensitive, like the unique index. */
    async findCredentials(username: string): Promise<{ user: User; passwordHash: string } | undefined> {
      const row = await db
        .selectFrom('users')
        .selectAll()
        .where(sql<string>`lower(username)`, '=', username.toLowerCase())
        .executeTakeFirst();
      return row && { user: toUser(row), passwordHash: row.password_hash };
    },

    async passwordHash(id: number): Promise<string | undefined> {
      const row = await db.selectFrom('users').select('password_hash').where('id', '=', id).executeTakeFirst();
      return row?.password_hash;
    },

    async count(): Promise<number> {
      const row = await db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    async create(user: NewUser, now: Date): Promise<User> {
      const at = now.toISOString();
      const row = await db
        .insertInto('users')
        .values({
          username: user.username,
          email: user.email,
          password_hash: user.passwordHash,
          role: user.role,
          is_active: user.isActive,
          quota_bytes: user.quotaBytes ?? null,
          password_changed_at: at,
          created_at: at,
          updated_at: at,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toUser(row);
    },

    /**
     * Adds `delta` bytes to a user's usage only if the result stays within their quota (their own, or
     * `defaultQuota` when they have none; null = unlimited). One conditional UPDATE, so concurrent
     * uploads can never overshoot. Negative deltas (frees) always apply. Returns whether it applied.
     */
    async reserveBytes(id: number, delta: number, defaultQuota: number | null): Promise<boolean> {
      let query = db
        .updateTable('users')
        .set({ used_bytes: sql`used_bytes + ${delta}` })
        .where('id', '=', id);
      if (delta > 0) {
        query =
          defaultQuota === null
            ? query.where((eb) => eb.or([eb('quota_bytes', 'is', null), eb(sql`used_bytes + ${delta}`, '<=', eb.ref('quota_bytes'))]))
            : query.where(sql`used_bytes + ${delta}`, '<=', sql`coalesce(quota_bytes, ${defaultQuota})`);
      }
      const result = await query.executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async setUsedBytes(id: number, usedBytes: number): Promise<void> {
      await db.updateTable('users').set({ used_bytes: usedBytes }).where('id', '=', id).execute();
    },

    async list(filter: {
      search?: string;
      role?: Role;
      isActive?: boolean;
      sortBy: 'id' | 'username' | 'email' | 'role' | 'created_at';
      sortOrder: 'asc' | 'desc';
    }): Promise<User[]> {
      let query = db.selectFrom('users').selectAll();
      if (filter.search) {
        const pattern = `%${filter.search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        query = query.where((eb) =>
          eb.or([
            eb(sql`lower(username)`, 'like', sql`${pattern} escape '\\'`),
            eb(sql`lower(email)`, 'like', sql`${pattern} escape '\\'`),
          ]),
        );
      }
      if (filter.role) query = query.where('role', '=', filter.role);
      if (filter.isActive !== undefined) query = query.where('is_active', '=', filter.isActive);
      const rows = await query.orderBy(filter.sortBy, filter.sortOrder).orderBy('id').execute();
      return rows.map(toUser);
    },

    async counts(): Promise<{ total: number; active: number; admins: number }> {
      const row = await db
        .selectFrom('users')
        .select((eb) => [
          eb.fn.countAll<number>().as('total'),
          eb.fn.sum<number>(eb.case().when('is_active', '=', true).then(1).else(0).end()).as('active'),
          eb.fn.sum<number>(eb.case().when('role', '=', 'admin').then(1).else(0).end()).as('admins'),
        ])
        .executeTakeFirstOrThrow();
      return { total: Number(row.total), active: Number(row.active ?? 0), admins: Number(row.admins ?? 0) };
    },

    /** Locks every active admin's row until the transaction ends (PostgreSQL) and counts them. */
    async lockActiveAdmins(): Promise<number> {
      const query = db.selectFrom('users').select('id').where('role', '=', 'admin').where('is_active', '=', true);
      return (await (onPostgres(db) ? query.forUpdate() : query).execute()).length;
    },

    async update(
      id: number,
      changes: Partial<{ username: string; email: string; passwordHash: string; role: Role; isActive: boolean; quotaBytes: number | null }>,
      now: Date,
    ): Promise<User | undefined> {
      const at = now.toISOString();
      const row = await db
        .updateTable('users')
        .set({
          ...(changes.username !== undefined && { username: changes.username }),
          ...(changes.email !== undefined && { email: changes.email }),
          ...(changes.passwordHash !== undefined && { password_hash: changes.passwordHash, password_changed_at: at }),
          ...(changes.role !== undefined && { role: changes.role }),
          ...(changes.isActive !== undefined && { is_active: changes.isActive }),
          ...(changes.quotaBytes !== undefined && { quota_bytes: changes.quotaBytes }),
          updated_at: at,
        })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      return row && toUser(row);
    },

    async delete(id: number): Promise<boolean> {
      const result = await db.deleteFrom('users').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) === 1;
    },

    async usernames(ids: number[]): Promise<Map<number, string>> {
      if (ids.length === 0) return new Map();
      const rows = await db.selectFrom('users').select(['id', 'username']).where('id', 'in', ids).execute();
      return new Map(rows.map((r) => [r.id, r.username]));
    },

    async setPassword(id: number, passwordHash: string, now: Date): Promise<void> {
      const at = now.toISOString();
      await db
        .updateTable('users')
        .set({ password_hash: passwordHash, password_changed_at: at, updated_at: at })
        .where('id', '=', id)
        .execute();
    },
  };
}

export type UsersRepository = ReturnType<typeof createUsersRepository>;
