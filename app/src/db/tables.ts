/** Every application table, parents before children: the order to copy in, and (reversed) to empty. */
export const DATA_TABLES = [
  'users',
  'user_avatars',
  'sessions',
  'refresh_tokens',
  'files',
  'share_links',
  'user_shares',
  'audit_log',
  'backups',
  'account_lockouts',
  'rate_limit_counters',
  'settings',
  'password_reset_tokens',
  'api_keys',
  'api_key_nonces',
] as const;

export type DataTable = (typeof DATA_TABLES)[number];

/** Kysely's own bookkeeping tables: they hold the schema version. */
export const MIGRATION_TABLES = ['kysely_migration', 'kysely_migration_lock'] as const;
