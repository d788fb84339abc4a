import { randomBytes } from 'node:crypto';
import { chmod, link, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { ConfigError } from '../errors/index.js';
import { assertWritableFolders } from '../lib/writable-folders.js';
import { envJsonSchema, envSpec, type EnvVarName } from './config.schema.js';
import type { Config, DatabaseConfig, LogLevel, RunMode } from './config.types.js';

const MIN_SECRET_LENGTH = 32;
/** Placeholders from examples and docs, often padded to the minimum length: never a production key. */
const PLACEHOLDER_SECRETS = /change-?me|your-?secret|dev-?secret|example|placeholder/;

function isGuessable(key: string): boolean {
  return PLACEHOLDER_SECRETS.test(key.toLowerCase()) || /^(.)\1*$/.test(key);
}

const ajv = new Ajv({ allErrors: true, coerceTypes: true, useDefaults: true });
const validateEnv = ajv.compile(envJsonSchema());

const packageVersion: string = (createRequire(import.meta.url)('../../../package.json') as { version: string }).version;

type Env = Record<string, string | undefined>;

/** A comma-separated setting as trimmed, non-empty entries. */
function list(value: unknown): string[] {
  return typeof value === 'string'
    ? value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [];
}

/**
 * Parses the environment into the frozen Config. Pure: reads nothing but `env`.
 * Throws ConfigError naming every bad key at once.
 */
export function parseConfig(env: Env): Config {
  const known: Record<string, unknown> = {};
  for (const name of Object.keys(envSpec)) {
    const raw = env[name];
    // An empty variable means "unset": docker/systemd env files often carry `KEY=`.
    if (raw) known[name] = raw;
  }
  const issues: string[] = [];
  if (!validateEnv(known)) {
    // Every variable is optional, so each error is about a value: its path is "/NAME".
    for (const err of validateEnv.errors as ErrorObject[]) {
      const key = err.instancePath.slice(1) as EnvVarName;
      const spec = envSpec[key] as { secret?: boolean };
      const shown = spec.secret ? '' : ` (got ${JSON.stringify(env[key])})`;
      issues.push(`${key}: ${err.message}${shown}`);
    }
  }
  const v = known as Record<EnvVarName, unknown>;
  const mode = (v.NODE_ENV ?? 'development') as RunMode;
  const secretKey = typeof v.BALUHOST_SECRET_KEY === 'string' ? v.BALUHOST_SECRET_KEY : null;
  if (secretKey !== null && secretKey.length < MIN_SECRET_LENGTH) {
    issues.push(`BALUHOST_SECRET_KEY: must be at least ${MIN_SECRET_LENGTH} characters (got ${secretKey.length})`);
  }
  if (mode === 'production') {
    if (secretKey === null) issues.push('BALUHOST_SECRET_KEY: is required when NODE_ENV=production');
    else if (isGuessable(secretKey)) {
      issues.push('BALUHOST_SECRET_KEY: is a default or trivially guessable value; generate one with `openssl rand -base64 48`');
    }
  }
  if (mode === 'production' && typeof v.BALUHOST_ENCRYPTION_KEY === 'string' && isGuessable(v.BALUHOST_ENCRYPTION_KEY))
    issues.push('BALUHOST_ENCRYPTION_KEY: is a default or trivially guessable value; generate one with `openssl rand -base64 48`');
  // A former key still signs or opens what it made: it is held to the current key's rules, or an
  // attacker who guesses "abc" forges tokens however strong today's key is.
  for (const name of ['BALUHOST_PREVIOUS_SECRET_KEYS', 'BALUHOST_PREVIOUS_ENCRYPTION_KEYS'] as const) {
    const keys = list(v[name]);
    keys.forEach((key, i) => {
      const which = `key ${i + 1} of ${keys.length}`;
      if (key.length < MIN_SECRET_LENGTH)
        issues.push(`${name}: ${which} must be at least ${MIN_SECRET_LENGTH} characters (got ${key.length})`);
      else if (mode === 'production' && isGuessable(key)) issues.push(`${name}: ${which} is a default or trivially guessable value`);
    });
  }
  if (issues.length > 0) throw new ConfigError(issues);

  const dataDir = resolve(String(v.BALUHOST_DATA_DIR));
  const storageRoot = resolve(typeof v.BALUHOST_STORAGE_ROOT === 'string' ? v.BALUHOST_STORAGE_ROOT : join(dataDir, 'storage'));
  const database: DatabaseConfig =
    typeof v.DATABASE_URL === 'string'
      ? {
          kind: 'postgres',
          url: v.DATABASE_URL,
          poolMax: Number(v.BALUHOST_DB_POOL_MAX),
          idleTimeoutMs: Number(v.BALUHOST_DB_IDLE_TIMEOUT_MS),
          statementTimeoutMs: Number(v.BALUHOST_DB_STATEMENT_TIMEOUT_MS),
          connectTimeoutMs: Number(v.BALUHOST_DB_CONNECT_TIMEOUT_MS),
          toolsContainer: typeof v.BALUHOST_PG_TOOLS_CONTAINER === 'string' ? v.BALUHOST_PG_TOOLS_CONTAINER : null,
        }
      : { kind: 'sqlite', file: join(dataDir, 'baluhost.db'), busyTimeoutMs: Number(v.BALUHOST_SQLITE_BUSY_TIMEOUT_MS) };
  const autoMigrate =
    typeof v.BALUHOST_AUTO_MIGRATE === 'boolean' ? v.BALUHOST_AUTO_MIGRATE : database.kind === 'sqlite' && mode !== 'production';

  return deepFreeze({
    mode,
    version: packageVersion,
    server: {
      host: String(v.HOST),
      port: Number(v.PORT),
      trustedProxies: list(v.BALUHOST_TRUSTED_PROXIES),
      bodyLimitBytes: Number(v.BALUHOST_BODY_LIMIT_BYTES),
      shutdownTimeoutMs: Number(v.BALUHOST_SHUTDOWN_TIMEOUT_MS),
      docsEnabled: v.BALUHOST_DOCS_ENABLED === undefined ? mode !== 'production' : v.BALUHOST_DOCS_ENABLED === true,
      corsOrigins: list(v.BALUHOST_CORS_ORIGINS),
    },
    logLevel: ({ warning: 'warn', critical: 'fatal' } as Record<string, LogLevel>)[String(v.LOG_LEVEL)] ?? (v.LOG_LEVEL as LogLevel),
    observability: {
      release: typeof v.BALUHOST_RELEASE === 'string' ? v.BALUHOST_RELEASE : packageVersion,
      logFile:
        typeof v.BALUHOST_LOG_FILE === 'string'
          ? {
              path: resolve(v.BALUHOST_LOG_FILE),
              size: String(v.BALUHOST_LOG_FILE_SIZE),
              frequency: v.BALUHOST_LOG_FILE_FREQUENCY as 'hourly' | 'daily',
              keep: Number(v.BALUHOST_LOG_FILE_KEEP),
              rotation: v.BALUHOST_LOG_FILE_ROTATION as 'app' | 'external',
            }
          : null,
      slowRequestMs: Number(v.BALUHOST_SLOW_REQUEST_MS),
      slowQueryMs: Number(v.BALUHOST_SLOW_QUERY_MS),
      sentryDsn: typeof v.SENTRY_DSN === 'string' ? v.SENTRY_DSN : null,
      metricsToken: typeof v.BALUHOST_METRICS_TOKEN === 'string' ? v.BALUHOST_METRICS_TOKEN : null,
      readyMinFreeBytes: Number(v.BALUHOST_READY_MIN_FREE_BYTES),
      maxEventLoopDelayMs: Number(v.BALUHOST_MAX_EVENT_LOOP_DELAY_MS),
      maxHeapUsedBytes: Number(v.BALUHOST_MAX_HEAP_USED_BYTES),
    },
    dataDir,
    storageRoot,
    database,
    autoMigrate,
    files: {
      defaultQuotaBytes: typeof v.BALUHOST_DEFAULT_QUOTA_BYTES === 'number' ? v.BALUHOST_DEFAULT_QUOTA_BYTES : null,
      uploadMaxBytes: Number(v.BALUHOST_UPLOAD_MAX_BYTES),
      reserveBytes: Number(v.BALUHOST_STORAGE_RESERVE_BYTES),
      denyTypes: list(v.BALUHOST_UPLOAD_DENY_TYPES)
        .filter((t) => t !== 'none')
        .map((t) => t.toLowerCase().replace(/^\./, '')),
      clamdSocket: typeof v.CLAMD_SOCKET === 'string' ? v.CLAMD_SOCKET : null,
    },
    system: {
      procRoot: String(v.BALUHOST_PROC_ROOT),
      telemetryIntervalMs: Number(v.BALUHOST_TELEMETRY_INTERVAL_MS),
      telemetrySamples: Number(v.BALUHOST_TELEMETRY_SAMPLES),
    },
    backups: {
      dir: resolve(typeof v.BALUHOST_BACKUP_DIR === 'string' ? v.BALUHOST_BACKUP_DIR : join(dataDir, 'backups')),
    },
    auth: {
      secretKey,
      accessTokenTtlSeconds: Number(v.BALUHOST_ACCESS_TOKEN_TTL_SECONDS),
      refreshTokenTtlSeconds: Number(v.BALUHOST_REFRESH_TOKEN_TTL_SECONDS),
      adminUsername: String(v.BALUHOST_ADMIN_USERNAME),
      adminPassword: typeof v.BALUHOST_ADMIN_PASSWORD === 'string' ? v.BALUHOST_ADMIN_PASSWORD : null,
      registrationEnabled: v.BALUHOST_REGISTRATION_ENABLED === true,
      previousSecretKeys: list(v.BALUHOST_PREVIOUS_SECRET_KEYS),
      encryptionKey: typeof v.BALUHOST_ENCRYPTION_KEY === 'string' ? v.BALUHOST_ENCRYPTION_KEY : null,
      previousEncryptionKeys: list(v.BALUHOST_PREVIOUS_ENCRYPTION_KEYS),
      sessionIdleTimeoutSeconds: Number(v.BALUHOST_SESSION_IDLE_TIMEOUT_SECONDS),
    },
    throttle: {
      lockoutThreshold: Number(v.BALUHOST_LOCKOUT_THRESHOLD),
      lockoutSeconds: Number(v.BALUHOST_LOCKOUT_SECONDS),
      authPerMinute: Number(v.BALUHOST_AUTH_RATE_LIMIT_PER_MINUTE),
      apiPerMinute: Number(v.BALUHOST_API_RATE_LIMIT_PER_MINUTE),
    },
  });
}

/**
 * parseConfig, plus the one side effect start-up needs: outside production, a missing secret key is
 * created once in the data dir so tokens survive restarts without the operator setting anything.
 */
export async function loadConfig(env: Env): Promise<Config> {
  const config = parseConfig(env);
  if (config.auth.secretKey !== null) return config;
  const file = join(config.dataDir, 'secret.key');
  let key: string;
  try {
    key = (await readFile(file, 'utf8')).trim();
  } catch {
    // Missing (or unreadable: then linking fails with EEXIST and the read below reports why).
    await assertWritableFolders([{ setting: 'BALUHOST_DATA_DIR', path: config.dataDir }]);
    key = randomBytes(48).toString('base64url');
    // Written whole under a private name, then linked into place: link() fails if the file exists,
    // so when two processes start at once one key wins, both use it, and nobody reads a half-written file.
    const draft = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    try {
      // Stryker disable next-line ObjectLiteral: equivalent in the end state (chmod follows); the mode closes the moment between create and chmod
      await writeFile(draft, `${key}\n`, { mode: 0o600 });
      await chmod(draft, 0o600);
      await link(draft, file);
    } catch (raced) {
      if ((raced as NodeJS.ErrnoException).code !== 'EEXIST') throw raced;
      key = (await readFile(file, 'utf8')).trim();
    } finally {
      await rm(draft, { force: true });
    }
  }
  if (key.length < MIN_SECRET_LENGTH) throw new ConfigError([`${file}: secret key is shorter than ${MIN_SECRET_LENGTH} characters`]);
  return deepFreeze({ ...config, auth: { ...config.auth, secretKey: key } });
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
