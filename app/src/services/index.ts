import type { Logger } from 'pino';
import { dumpTargetFor } from '../backups/database-dump.js';
import type { Config } from '../config/index.js';
import type { Database } from '../db/index.js';
import {
  createArgon2Hasher,
  createRepositories,
  createStorage,
  createTokenCrypto,
  createTransactionRunner,
  systemClock,
  type Clock,
  type PasswordHasher,
} from '../repositories/index.js';
import { createAuditService } from './audit.service.js';
import { createAuthService } from './auth.service.js';
import { createReadinessService } from './readiness.service.js';
import { createFilePermissionsService } from './file-permissions.service.js';
import { createFileAccess, createFilesService } from './files.service.js';
import { createSystemService } from './system.service.js';
import { createTelemetryService } from './telemetry.service.js';
import { createUploadsService } from './uploads.service.js';
import { createUsersService } from './users.service.js';
import { createSharesService } from './shares.service.js';
import { createUploadProgress } from './upload-progress.js';
import { createDatabaseBrowserService } from './database-browser.service.js';
import { createDatabaseBrowserRepository } from '../repositories/database-browser.repository.js';
import { createAuditLogService } from './audit-log.service.js';
import { createBackupsService } from './backups.service.js';
import { createReconcileService } from './reconcile.service.js';
import { createThrottleService } from './throttle.service.js';
import { createApiKeysService } from './api-keys.service.js';
import { createUploadInspector } from './upload-inspection.js';
import { createClamdScanner } from '../repositories/virus-scanner.js';
import { createSecretBox } from '../repositories/secret-box.js';
import { createProcReader, createSmartReader } from '../repositories/system-probe.js';

export type { AuthService, AuthTokens, Principal } from './auth.service.js';
export type { AuditService, AuditEvent } from './audit.service.js';
export type { ReadinessService, ReadinessReport } from './readiness.service.js';
export type { RequestContext } from './request-context.js';
export { ensureFirstAdmin } from './first-admin.service.js';
export type { FirstAdminResult } from './first-admin.service.js';
export { assertPasswordAllowed } from './password-policy.js';
export { mimeTypeOf, toFileEntry } from './files.service.js';
export type { FileEntry, FilesService, Located } from './files.service.js';
export type { UploadPart, UploadsService } from './uploads.service.js';
export type { UsersService } from './users.service.js';
export type { BackupsService } from './backups.service.js';
export type { ReconcileReport, ReconcileService } from './reconcile.service.js';
export type { SharesService, ShareLinkView, UserShareView } from './shares.service.js';
export type { SystemService } from './system.service.js';
export type { TelemetryService } from './telemetry.service.js';

export interface ServiceDeps {
  config: Config;
  database: Database;
  logger: Logger;
  clock?: Clock;
  hasher?: PasswordHasher;
  /** Called on every account lockout (the metrics counter). */
  onLockout?: () => void;
}

/** The settings worth keeping with a backup: everything but secrets and connection strings. */
function configSnapshot(config: Config): Record<string, unknown> {
  return {
    version: config.version,
    mode: config.mode,
    database: config.database.kind,
    storage_root: config.storageRoot,
    files: config.files,
    registration_enabled: config.auth.registrationEnabled,
  };
}

/** Wires every service from its adapters. The one place that knows what depends on what. */
export function createServices(deps: ServiceDeps) {
  const { config, database, logger } = deps;
  if (config.auth.secretKey === null) throw new Error('createServices: config has no secret key; build it with loadConfig()');
  const clock = deps.clock ?? systemClock;
  const hasher = deps.hasher ?? createArgon2Hasher();
  const repos = createRepositories(database.db);
  const transaction = createTransactionRunner(database.db);
  const tokens = createTokenCrypto(config.auth.secretKey, config.auth.accessTokenTtlSeconds, config.auth.previousSecretKeys);
  const audit = createAuditService({ repos, clock, logger });
  const throttle = createThrottleService({ repos, clock, audit, limits: config.throttle, onLockout: deps.onLockout ?? (() => undefined) });
  const dbTimeoutMs = config.database.kind === 'postgres' ? config.database.statementTimeoutMs : 5000;
  const storage = createStorage(config.storageRoot);
  const filesDeps = {
    repos,
    transaction,
    storage,
    clock,
    defaultQuotaBytes: config.files.defaultQuotaBytes,
    reserveBytes: config.files.reserveBytes,
  };
  const access = createFileAccess(filesDeps);
  const uploadProgress = createUploadProgress({ clock });
  const box = createSecretBox(config.auth.encryptionKey ?? config.auth.secretKey, config.auth.previousEncryptionKeys);
  const proc = createProcReader(config.system.procRoot);
  const startedAt = clock.now().getTime();
  const telemetry = createTelemetryService({
    proc,
    clock,
    logger,
    intervalMs: config.system.telemetryIntervalMs,
    samples: config.system.telemetrySamples,
  });
  const auth = createAuthService({
    repos,
    transaction,
    clock,
    hasher,
    tokens,
    audit,
    throttle,
    refreshTtlSeconds: config.auth.refreshTokenTtlSeconds,
    sessionIdleTimeoutSeconds: config.auth.sessionIdleTimeoutSeconds,
  });
  return {
    clock,
    hasher,
    repos,
    transaction,
    audit,
    auth,
    throttle,
    apiKeys: createApiKeysService({
      repos,
      clock,
      audit,
      box,
    }),
    readiness: createReadinessService({
      database,
      storageRoot: config.storageRoot,
      dbTimeoutMs,
      extraChecks: {
        async disk() {
          const { availableBytes } = await storage.usage();
          const min = config.observability.readyMinFreeBytes;
          return availableBytes >= min
            ? { ok: true }
            : { ok: false, reason: `${availableBytes} bytes free, below the ${min}-byte threshold` };
        },
        async telemetry() {
          const interval = config.system.telemetryIntervalMs;
          if (interval <= 0) return { ok: true };
          const last = telemetry.lastSampleAt();
          const age = last === null ? clock.now().getTime() - startedAt : clock.now().getTime() - last;
          // Three missed samples in a row means the sampler is stuck, not just late.
          return age <= interval * 3 + 1000 ? { ok: true } : { ok: false, reason: `no telemetry sample for ${Math.round(age / 1000)} s` };
        },
      },
    }),
    storage,
    access,
    files: createFilesService({ ...filesDeps, access, denyTypes: config.files.denyTypes }),
    uploadProgress,
    databaseBrowser: createDatabaseBrowserService({ browser: createDatabaseBrowserRepository(database.db) }),
    uploads: createUploadsService({
      ...filesDeps,
      access,
      progress: uploadProgress,
      uploadMaxBytes: config.files.uploadMaxBytes,
      inspector: createUploadInspector({
        denyTypes: config.files.denyTypes,
        scanner: config.files.clamdSocket ? createClamdScanner(config.files.clamdSocket) : null,
        onInfected: async (file, signature) => logger.warn({ file, signature }, 'upload refused: the virus scanner found malware'),
      }),
    }),
    filePermissions: createFilePermissionsService({ repos, transaction, clock, access }),
    telemetry,
    auditLog: createAuditLogService({ repos, clock, devMode: config.mode !== 'production' }),
    reconcile: createReconcileService({ repos, storage, access, clock, logger }),
    backups: createBackupsService({
      repos,
      database,
      dumpTarget: dumpTargetFor(config.database),
      storage,
      backupDir: config.backups.dir,
      clock,
      logger,
      audit,
      appVersion: config.version,
      configSnapshot: configSnapshot(config),
    }),
    shares: createSharesService({ repos, clock, hasher, tokens, box, access, audit, throttle }),
    users: createUsersService({
      repos,
      transaction,
      clock,
      hasher,
      storage,
      audit,
      assertFreshAuthentication: (principal) => auth.assertFreshAuthentication(principal),
    }),
    system: createSystemService({
      proc,
      clock,
      smart: createSmartReader(),
      storage,
      telemetry,
      repos,
      devMode: config.mode !== 'production',
      defaultQuotaBytes: config.files.defaultQuotaBytes,
    }),
  };
}

export type Services = ReturnType<typeof createServices>;
