import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../database.js';
import { columnTypes } from './column-types.js';
import type { MigrationDefinition } from './index.js';

/** The whole schema of the first release: every table BaluHost needs, each with its indexes. */
export const initialSchema: MigrationDefinition = (dialect: Dialect) => {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await t
        .id(db.schema.createTable('users'))
        .addColumn('username', 'text', (c) => c.notNull())
        .addColumn('email', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('admin', 'user')`))
        .addColumn('is_active', t.bool, t.boolDefault(true))
        .addColumn('quota_bytes', t.bigint)
        .addColumn('used_bytes', t.bigint, (c) => c.notNull().defaultTo(0))
        .addColumn('password_changed_at', t.timestamp, (c) => c.notNull())
        .addColumn('created_at', t.timestamp, (c) => c.notNull())
        .addColumn('updated_at', t.timestamp, (c) => c.notNull())
        .execute();
      // Usernames are unique regardless of case: "Admin" must not shadow "admin".
      await db.schema
        .createIndex('users_username_lower_key')
        .on('users')
        .unique()
        .expression(sql`lower(username)`)
        .execute();

      await db.schema
        .createTable('sessions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', t.bigint, (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('created_at', t.timestamp, (c) => c.notNull())
        .addColumn('last_used_at', t.timestamp, (c) => c.notNull())
        .addColumn('expires_at', t.timestamp, (c) => c.notNull())
        .addColumn('revoked_at', t.timestamp)
        .addColumn('revoke_reason', 'text')
        .addColumn('ip_address', 'text')
        .addColumn('user_agent', 'text')
        .execute();
      await db.schema.createIndex('sessions_user_id_idx').on('sessions').column('user_id').execute();

      await t
        .id(db.schema.createTable('refresh_tokens'))
        .addColumn('session_id', 'text', (c) => c.notNull().references('sessions.id').onDelete('cascade'))
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', t.timestamp, (c) => c.notNull())
        .addColumn('used_at', t.timestamp)
        .execute();
      await db.schema.createIndex('refresh_tokens_session_id_idx').on('refresh_tokens').column('session_id').execute();

      await t
        .id(db.schema.createTable('files'))
        .addColumn('owner_id', t.bigint, (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('parent_id', t.bigint)
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('is_directory', t.bool, t.boolDefault(false))
        .addColumn('size_bytes', t.bigint, (c) => c.notNull().defaultTo(0))
        .addColumn('mime_type', 'text')
        .addColumn('checksum_sha256', 'text')
        .addColumn('created_at', t.timestamp, (c) => c.notNull())
        .addColumn('modified_at', t.timestamp, (c) => c.notNull())
        .addForeignKeyConstraint('files_parent_id_fkey', ['parent_id'], 'files', ['id'], (fk) =>
          fk.onDelete('cascade').deferrable().initiallyImmediate(),
        )
        .execute();
      // Deferrable: a bulk copy may insert a child before the folder it was later moved into.
      // A folder listing is `where parent_id = ?`; the unique key also forbids two entries of one name.
      await db.schema.createIndex('files_parent_name_key').on('files').unique().columns(['parent_id', 'name']).execute();
      // Root rows are home folders; their names are directory names on disk, unique across users.
      await db.schema
        .createIndex('files_root_name_key')
        .on('files')
        .unique()
        .column('name')
        .where(sql.ref('parent_id'), 'is', null)
        .execute();
      // One home per user, found without walking the user's (possibly 100k) other entries.
      await db.schema
        .createIndex('files_home_owner_key')
        .on('files')
        .unique()
        .column('owner_id')
        .where(sql.ref('parent_id'), 'is', null)
        .execute();
      await db.schema.createIndex('files_owner_id_idx').on('files').column('owner_id').execute();

      await t
        .id(db.schema.createTable('share_links'))
        .addColumn('token', 'text', (c) => c.notNull().unique())
        .addColumn('file_id', t.bigint, (c) => c.notNull().references('files.id').onDelete('cascade'))
        .addColumn('owner_id', t.bigint, (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('password_hash', 'text')
        .addColumn('allow_download', t.bool, t.boolDefault(true))
        .addColumn('allow_preview', t.bool, t.boolDefault(true))
        .addColumn('max_downloads', t.bigint)
        .addColumn('download_count', t.bigint, (c) => c.notNull().defaultTo(0))
        .addColumn('expires_at', t.timestamp)
        .addColumn('description', 'text')
        .addColumn('created_at', t.timestamp, (c) => c.notNull())
        .addColumn('last_accessed_at', t.timestamp)
        .execute();
      await db.schema.createIndex('share_links_owner_id_idx').on('share_links').column('owner_id').execute();
      await db.schema.createIndex('share_links_file_id_idx').on('share_links').column('file_id').execute();

      await t
        .id(db.schema.createTable('user_shares'))
        .addColumn('file_id', t.bigint, (c) => c.notNull().references('files.id').onDelete('cascade'))
        .addColumn('owner_id', t.bigint, (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('shared_with_user_id', t.bigint, (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('can_read', t.bool, t.boolDefault(true))
        .addColumn('can_write', t.bool, t.boolDefault(false))
        .addColumn('can_delete', t.bool, t.boolDefault(false))
        .addColumn('can_share', t.bool, t.boolDefault(false))
        .addColumn('expires_at', t.timestamp)
        .addColumn('created_at', t.timestamp, (c) => c.notNull())
        .addUniqueConstraint('user_shares_file_user_key', ['file_id', 'shared_with_user_id'])
        .execute();
      await db.schema.createIndex('user_shares_shared_with_idx').on('user_shares').column('shared_with_user_id').execute();
      await db.schema.createIndex('user_shares_owner_id_idx').on('user_shares').column('owner_id').execute();

      await t
        .id(db.schema.createTable('audit_log'))
        .addColumn('timestamp', t.timestamp, (c) => c.notNull())
        .addColumn('event_type', 'text', (c) => c.notNull())
        .addColumn('user_id', t.bigint, (c) => c.references('users.id').onDelete('set null'))
        .addColumn('username', 'text')
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('resource', 'text')
        .addColumn('success', t.bool, t.boolDefault(true))
        .addColumn('error_message', 'text')
        .addColumn('details', 'text')
        .addColumn('ip_address', 'text')
        .addColumn('user_agent', 'text')
        .execute();
      await db.schema.createIndex('audit_log_timestamp_idx').on('audit_log').column('timestamp').execute();
      await db.schema.createIndex('audit_log_user_timestamp_idx').on('audit_log').columns(['user_id', 'timestamp']).execute();
      await db.schema.createIndex('audit_log_username_timestamp_idx').on('audit_log').columns(['username', 'timestamp']).execute();
      await db.schema.createIndex('audit_log_action_timestamp_idx').on('audit_log').columns(['action', 'timestamp']).execute();
      await db.schema.createIndex('audit_log_event_timestamp_idx').on('audit_log').columns(['event_type', 'timestamp']).execute();

      await t
        .id(db.schema.createTable('backups'))
        .addColumn('filename', 'text', (c) => c.notNull().unique())
        .addColumn('size_bytes', t.bigint, (c) => c.notNull().defaultTo(0))
        .addColumn('backup_type', 'text', (c) => c.notNull().check(sql`backup_type in ('full', 'database_only', 'files_only')`))
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending', 'running', 'completed', 'failed')`))
        .addColumn('includes_database', t.bool, t.boolDefault(true))
        .addColumn('includes_files', t.bool, t.boolDefault(false))
        .addColumn('includes_config', t.bool, t.boolDefault(false))
        .addColumn('sha256', 'text')
        .addColumn('creator_id', t.bigint, (c) => c.references('users.id').onDelete('set null'))
        .addColumn('error_message', 'text')
        .addColumn('created_at', t.timestamp, (c) => c.notNull())
        .addColumn('completed_at', t.timestamp)
        .execute();

      await db.schema
        .createTable('account_lockouts')
        .addColumn('subject', 'text', (c) => c.primaryKey())
        .addColumn('failed_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('lockout_level', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('locked_until', t.timestamp)
        .addColumn('updated_at', t.timestamp, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('rate_limit_counters')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('hits', 'integer', (c) => c.notNull())
        .addColumn('reset_at', t.timestamp, (c) => c.notNull())
        .execute();
    },

    async down(db: Kysely<unknown>) {
      for (const table of [
        'rate_limit_counters',
        'account_lockouts',
        'backups',
        'audit_log',
        'user_shares',
        'share_links',
        'files',
        'refresh_tokens',
        'sessions',
        'users',
      ]) {
        await db.schema.dropTable(table).execute();
      }
    },
  };
};
