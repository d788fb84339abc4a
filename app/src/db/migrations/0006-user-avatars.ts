import type { Kysely } from 'kysely';
import type { Dialect } from '../database.js';
import { columnTypes } from './column-types.js';
import type { MigrationDefinition } from './index.js';

/**
 * Profile pictures. The image lives in the database (base64, at most 1 MiB decoded), so database
 * backups, restores and the SQLite→PostgreSQL migration carry it with everything else. `avatar_key`
 * is the unguessable name it is served under: a browser's <img> sends no token.
 */
export const userAvatars: MigrationDefinition = (dialect: Dialect) => {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('users').addColumn('avatar_key', 'text').execute();
      await db.schema.createIndex('users_avatar_key_idx').on('users').column('avatar_key').unique().execute();
      await db.schema
        .createTable('user_avatars')
        .addColumn('user_id', t.bigint, (c) => c.primaryKey().references('users.id').onDelete('cascade'))
        .addColumn('content_type', 'text', (c) => c.notNull())
        .addColumn('size_bytes', t.bigint, (c) => c.notNull())
        .addColumn('data_base64', 'text', (c) => c.notNull())
        .addColumn('updated_at', t.timestamp, (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('user_avatars').execute();
      await db.schema.dropIndex('users_avatar_key_idx').execute();
      await db.schema.alterTable('users').dropColumn('avatar_key').execute();
    },
  };
};
