import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
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
  };
}

export function createUsersRepository(db: Executor) {
  return {
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
      const row = await db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
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

    async setPassword(id: number, passwordHash: string, now: Date): Promise<void> {
      const at = now.toISOString();
      await db.updateTable('users').set({ password_hash: passwordHash, password_changed_at: at, updated_at: at }).where('id', '=', id).execute();
    },
  };
}

export type UsersRepository = ReturnType<typeof createUsersRepository>;
