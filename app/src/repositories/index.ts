import type { Kysely } from 'kysely';
import type { DB } from '../db/index.js';
import { createAuditRepository } from './audit.repository.js';
import { createFilesRepository } from './files.repository.js';
import { createSharesRepository } from './shares.repository.js';
import { createBackupsRepository } from './backups.repository.js';
import { createSessionsRepository } from './sessions.repository.js';
import { createThrottleRepository } from './throttle.repository.js';
import { createApiKeysRepository } from './api-keys.repository.js';
import { createUsersRepository, type Executor } from './users.repository.js';

export { systemClock, addSeconds } from './clock.js';
export type { Clock } from './clock.js';
export { createArgon2Hasher } from './password-hasher.js';
export type { PasswordHasher } from './password-hasher.js';
export { createTokenCrypto } from './token-crypto.js';
export type { AccessClaims, TokenCrypto } from './token-crypto.js';
export type { User, NewUser, Role, Executor } from './users.repository.js';
export type { Session, RefreshTokenRecord } from './sessions.repository.js';
export type { Lockout } from './throttle.repository.js';
export { createSecretBox, type SecretBox } from './secret-box.js';
export type { AuditEntry, AuditFilter, AuditRecord } from './audit.repository.js';
export type { FileRecord, FileSummary, NewFile } from './files.repository.js';
export type { ShareGrant, ShareLink, SharePermission, UserShare, NewShareLink } from './shares.repository.js';
export { createStorage } from './storage.js';
export type { BackupRecord, BackupStatus, BackupType } from './backups.repository.js';
export type { DiskUsage, Storage } from './storage.js';

export function createRepositories(db: Executor) {
  return {
    users: createUsersRepository(db),
    sessions: createSessionsRepository(db),
    audit: createAuditRepository(db),
    files: createFilesRepository(db),
    shares: createSharesRepository(db),
    backups: createBackupsRepository(db),
    throttle: createThrottleRepository(db),
    apiKeys: createApiKeysRepository(db),
  };
}

export type Repositories = ReturnType<typeof createRepositories>;

/** Runs `work` in one database transaction with repositories bound to it. */
export type TransactionRunner = <T>(work: (repos: Repositories) => Promise<T>) => Promise<T>;

export function createTransactionRunner(db: Kysely<DB>): TransactionRunner {
  return (work) => db.transaction().execute((trx) => work(createRepositories(trx)));
}
