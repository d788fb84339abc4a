import type { ColumnType, Generated } from 'kysely';

/**
 * Row types as both dialects return them after the normalisation in database.ts:
 * bigint → number, timestamps → ISO-8601 strings. Booleans come back as boolean on PostgreSQL and
 * 0/1 on SQLite, so repositories map them with `Boolean()`.
 */
type Bool = ColumnType<boolean | number, boolean, boolean>;
type Timestamp = ColumnType<string, string, string>;
type NullableTimestamp = ColumnType<string | null, string | null | undefined, string | null>;
type Id = Generated<number>;

export interface UsersTable {
  id: Id;
  username: string;
  email: string;
  password_hash: string;
  role: 'admin' | 'user';
  is_active: Bool;
  quota_bytes: number | null;
  used_bytes: Generated<number>;
  password_changed_at: Timestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
  avatar_key: Generated<string | null>;
}

export interface UserAvatarsTable {
  user_id: number;
  content_type: string;
  size_bytes: number;
  data_base64: string;
  updated_at: Timestamp;
}

export interface SessionsTable {
  id: string;
  user_id: number;
  created_at: Timestamp;
  last_used_at: Timestamp;
  expires_at: Timestamp;
  revoked_at: NullableTimestamp;
  revoke_reason: string | null;
  ip_address: string | null;
  user_agent: string | null;
  reauthenticated_at: NullableTimestamp;
}

export interface RefreshTokensTable {
  id: Id;
  session_id: string;
  token_hash: string;
  created_at: Timestamp;
  used_at: NullableTimestamp;
}

export interface FilesTable {
  id: Id;
  owner_id: number;
  parent_id: number | null;
  name: string;
  is_directory: Bool;
  size_bytes: number;
  mime_type: string | null;
  checksum_sha256: string | null;
  created_at: Timestamp;
  modified_at: Timestamp;
}

export interface ShareLinksTable {
  id: Id;
  /** SHA-256 of the token: what a request is matched against. */
  token_hash: string;
  /** The token sealed with the encryption key (SecretBox), shown again to who may manage the link. */
  token_sealed: string;
  file_id: number;
  owner_id: number;
  password_hash: string | null;
  allow_download: Bool;
  allow_preview: Bool;
  max_downloads: number | null;
  download_count: Generated<number>;
  expires_at: NullableTimestamp;
  description: string | null;
  created_at: Timestamp;
  last_accessed_at: NullableTimestamp;
}

export interface UserSharesTable {
  id: Id;
  file_id: number;
  owner_id: number;
  shared_with_user_id: number;
  can_read: Bool;
  can_write: Bool;
  can_delete: Bool;
  can_share: Bool;
  expires_at: NullableTimestamp;
  created_at: Timestamp;
}

export interface AuditLogTable {
  id: Id;
  timestamp: Timestamp;
  event_type: string;
  user_id: number | null;
  username: string | null;
  action: string;
  resource: string | null;
  success: Bool;
  error_message: string | null;
  details: string | null;
  ip_address: string | null;
  user_agent: string | null;
}

export interface BackupsTable {
  id: Id;
  filename: string;
  size_bytes: Generated<number>;
  backup_type: 'full' | 'database_only' | 'files_only';
  status: 'pending' | 'running' | 'completed' | 'failed';
  includes_database: Bool;
  includes_files: Bool;
  includes_config: Bool;
  sha256: string | null;
  creator_id: number | null;
  error_message: string | null;
  created_at: Timestamp;
  completed_at: NullableTimestamp;
}

export interface AccountLockoutsTable {
  subject: string;
  failed_count: number;
  lockout_level: number;
  locked_until: NullableTimestamp;
  updated_at: Timestamp;
}

export interface RateLimitCountersTable {
  key: string;
  hits: number;
  reset_at: Timestamp;
}

export interface SettingsTable {
  key: string;
  value: string;
  updated_at: Timestamp;
}

export interface PasswordResetTokensTable {
  id: Generated<number>;
  user_id: number;
  token_hash: string;
  created_by: number | null;
  created_at: Timestamp;
  expires_at: Timestamp;
  used_at: NullableTimestamp;
}

export interface ApiKeysTable {
  id: Generated<number>;
  user_id: number;
  key_id: string;
  name: string;
  secret_sealed: string;
  created_at: Timestamp;
  last_used_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
}

export interface ApiKeyNoncesTable {
  nonce: string;
  expires_at: Timestamp;
}

export interface DB {
  users: UsersTable;
  user_avatars: UserAvatarsTable;
  sessions: SessionsTable;
  refresh_tokens: RefreshTokensTable;
  files: FilesTable;
  share_links: ShareLinksTable;
  user_shares: UserSharesTable;
  audit_log: AuditLogTable;
  backups: BackupsTable;
  account_lockouts: AccountLockoutsTable;
  rate_limit_counters: RateLimitCountersTable;
  settings: SettingsTable;
  password_reset_tokens: PasswordResetTokensTable;
  api_keys: ApiKeysTable;
  api_key_nonces: ApiKeyNoncesTable;
}
