import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../app/src/config/index.js';
import { ConfigError } from '../../app/src/errors/index.js';

const GOOD_KEY = 'k'.repeat(20) + '0123456789abcdefghij';
const GUESSABLE = 'BALUHOST_SECRET_KEY: is a default or trivially guessable value; generate one with `openssl rand -base64 48`';

function issuesOf(env: Record<string, string>): string[] {
  try {
    parseConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig', () => {
  it('has working defaults for a fresh clone: SQLite in ./data, port 8000 on loopback', () => {
    const config = parseConfig({});
    expect(config.server).toMatchObject({ host: '127.0.0.1', port: 8000, trustedProxies: ['127.0.0.1', '::1'] });
    expect(config.dataDir).toBe(resolve('data'));
    expect(config.storageRoot).toBe(resolve('data', 'storage'));
    expect(config.database).toEqual({ kind: 'sqlite', file: resolve('data', 'baluhost.db'), busyTimeoutMs: 5000 });
    expect(config.autoMigrate).toBe(true);
    expect(config.auth).toMatchObject({
      adminUsername: 'admin',
      adminPassword: null,
      registrationEnabled: false,
      accessTokenTtlSeconds: 900,
    });
    expect(config.mode).toBe('development');
  });

  it('chooses PostgreSQL from DATABASE_URL with pool settings, and does not auto-migrate it', () => {
    const config = parseConfig({
      DATABASE_URL: 'postgres://u:p@db:5432/baluhost',
      BALUHOST_DB_POOL_MAX: '4',
      BALUHOST_DB_STATEMENT_TIMEOUT_MS: '2500',
    });
    expect(config.database).toMatchObject({
      kind: 'postgres',
      url: 'postgres://u:p@db:5432/baluhost',
      poolMax: 4,
      statementTimeoutMs: 2500,
    });
    expect(config.autoMigrate).toBe(false);
    expect(parseConfig({ DATABASE_URL: 'postgresql://h/db', BALUHOST_AUTO_MIGRATE: 'true' }).autoMigrate).toBe(true);
  });

  it('does not auto-migrate SQLite in production unless told to', () => {
    expect(parseConfig({ NODE_ENV: 'production', BALUHOST_SECRET_KEY: GOOD_KEY }).autoMigrate).toBe(false);
  });

  it('keeps the storage root apart from the data dir when set', () => {
    const config = parseConfig({ BALUHOST_DATA_DIR: '/srv/baluhost', BALUHOST_STORAGE_ROOT: '/mnt/raid/files' });
    expect(config.database).toMatchObject({ file: '/srv/baluhost/baluhost.db' });
    expect(config.storageRoot).toBe('/mnt/raid/files');
  });

  it('treats empty variables as unset', () => {
    expect(parseConfig({ PORT: '', DATABASE_URL: '' }).database.kind).toBe('sqlite');
  });

  it('names every bad key at once', () => {
    const issues = issuesOf({
      PORT: 'eighty',
      BALUHOST_SHUTDOWN_TIMEOUT_MS: '-1',
      LOG_LEVEL: 'loud',
      NODE_ENV: 'staging',
      DATABASE_URL: 'mysql://x',
      BALUHOST_DB_POOL_MAX: '0',
      BALUHOST_REGISTRATION_ENABLED: 'perhaps',
    });
    const keys = issues.map((i) => i.split(':')[0]).sort();
    expect(keys).toEqual([
      'BALUHOST_DB_POOL_MAX',
      'BALUHOST_REGISTRATION_ENABLED',
      'BALUHOST_SHUTDOWN_TIMEOUT_MS',
      'DATABASE_URL',
      'LOG_LEVEL',
      'NODE_ENV',
      'PORT',
    ]);
  });

  it('shows the bad value, except for secrets', () => {
    const issues = issuesOf({ PORT: '70000', DATABASE_URL: 'mysql://user:hunter2@db/x' });
    expect(issues).toEqual(['PORT: must be <= 65535 (got "70000")', 'DATABASE_URL: must match pattern "^postgres(ql)?://"']);
  });

  it('refuses a short secret key in any mode', () => {
    expect(issuesOf({ BALUHOST_SECRET_KEY: 'short' })).toEqual([expect.stringMatching(/^BALUHOST_SECRET_KEY: must be at least 32/)]);
  });

  it.each([
    ['missing', {}, 'BALUHOST_SECRET_KEY: is required when NODE_ENV=production'],
    ['a padded placeholder', { BALUHOST_SECRET_KEY: 'change-me-change-me-change-me-change-me' }, GUESSABLE],
    ['a placeholder from the docs', { BALUHOST_SECRET_KEY: 'YOUR-SECRET-KEY-0123456789abcdef0123' }, GUESSABLE],
    ['one repeated character', { BALUHOST_SECRET_KEY: 'a'.repeat(40) }, GUESSABLE],
    ['a placeholder without dashes', { BALUHOST_SECRET_KEY: 'changeme0123456789changeme0123456789' }, GUESSABLE],
    ['"yoursecret" padded', { BALUHOST_SECRET_KEY: 'yoursecret-0123456789-yoursecret-0123' }, GUESSABLE],
    ['"dev-secret" padded', { BALUHOST_SECRET_KEY: 'dev-secret-0123456789-dev-secret-0123' }, GUESSABLE],
    ['"devsecret" padded', { BALUHOST_SECRET_KEY: 'devsecret-0123456789-devsecret-012345' }, GUESSABLE],
  ])('refuses a %s secret key in production', (_name, env, issue) => {
    expect(issuesOf({ NODE_ENV: 'production', ...env })).toEqual([issue]);
  });

  it('accepts those keys outside production, and a random key in production', () => {
    expect(parseConfig({ BALUHOST_SECRET_KEY: 'change-me-change-me-change-me-change-me' }).auth.secretKey).toBe(
      'change-me-change-me-change-me-change-me',
    );
    expect(parseConfig({ NODE_ENV: 'production', BALUHOST_SECRET_KEY: GOOD_KEY }).auth.secretKey).toBe(GOOD_KEY);
  });

  it("holds former and encryption keys to the secret key's rules, naming which one fails and never showing it", () => {
    expect(issuesOf({ NODE_ENV: 'production', BALUHOST_SECRET_KEY: GOOD_KEY, BALUHOST_PREVIOUS_SECRET_KEYS: 'abc' })).toEqual([
      'BALUHOST_PREVIOUS_SECRET_KEYS: key 1 of 1 must be at least 32 characters (got 3)',
    ]);
    expect(issuesOf({ BALUHOST_PREVIOUS_SECRET_KEYS: `${GOOD_KEY},short` })).toEqual([
      'BALUHOST_PREVIOUS_SECRET_KEYS: key 2 of 2 must be at least 32 characters (got 5)',
    ]);
    expect(
      issuesOf({
        NODE_ENV: 'production',
        BALUHOST_SECRET_KEY: GOOD_KEY,
        BALUHOST_PREVIOUS_ENCRYPTION_KEYS: 'change-me-change-me-change-me-change-me',
        BALUHOST_ENCRYPTION_KEY: 'x'.repeat(40),
      }),
    ).toEqual([
      'BALUHOST_ENCRYPTION_KEY: is a default or trivially guessable value; generate one with `openssl rand -base64 48`',
      'BALUHOST_PREVIOUS_ENCRYPTION_KEYS: key 1 of 1 is a default or trivially guessable value',
    ]);
    expect(parseConfig({ BALUHOST_PREVIOUS_SECRET_KEYS: 'change-me-change-me-change-me-change-me' }).auth.previousSecretKeys).toHaveLength(
      1,
    );
  });

  it('serves /docs by default outside production only', () => {
    expect(parseConfig({}).server.docsEnabled).toBe(true);
    expect(parseConfig({ NODE_ENV: 'production', BALUHOST_SECRET_KEY: GOOD_KEY }).server.docsEnabled).toBe(false);
    expect(parseConfig({ NODE_ENV: 'production', BALUHOST_SECRET_KEY: GOOD_KEY, BALUHOST_DOCS_ENABLED: 'true' }).server.docsEnabled).toBe(
      true,
    );
  });

  it('refuses a secret key one character short, and names its length, but never shows it', () => {
    expect(issuesOf({ BALUHOST_SECRET_KEY: GOOD_KEY.slice(0, 31) })).toEqual([
      'BALUHOST_SECRET_KEY: must be at least 32 characters (got 31)',
    ]);
    expect(parseConfig({ BALUHOST_SECRET_KEY: GOOD_KEY.slice(0, 32) }).auth.secretKey).toHaveLength(32);
  });

  it('brings every setting to the part of the program that uses it', () => {
    const config = parseConfig({
      HOST: '0.0.0.0',
      PORT: '9000',
      BALUHOST_TRUSTED_PROXIES: '10.0.0.1, 10.0.0.2,',
      BALUHOST_BODY_LIMIT_BYTES: '2048',
      BALUHOST_SHUTDOWN_TIMEOUT_MS: '1234',
      BALUHOST_DOCS_ENABLED: 'true',
      BALUHOST_CORS_ORIGINS: 'https://a.example, https://b.example',
      LOG_LEVEL: 'warning',
      BALUHOST_RELEASE: 'r42',
      BALUHOST_LOG_FILE: 'logs/api.log',
      BALUHOST_LOG_FILE_SIZE: '10m',
      BALUHOST_LOG_FILE_FREQUENCY: 'hourly',
      BALUHOST_LOG_FILE_KEEP: '3',
      BALUHOST_LOG_FILE_ROTATION: 'external',
      BALUHOST_SLOW_REQUEST_MS: '700',
      BALUHOST_SLOW_QUERY_MS: '70',
      SENTRY_DSN: 'https://key@sentry.example/1',
      BALUHOST_METRICS_TOKEN: 'metrics-token-0123456789',
      BALUHOST_READY_MIN_FREE_BYTES: '12345',
      BALUHOST_MAX_EVENT_LOOP_DELAY_MS: '321',
      BALUHOST_MAX_HEAP_USED_BYTES: '99999999',
      BALUHOST_DEFAULT_QUOTA_BYTES: '1000',
      BALUHOST_UPLOAD_MAX_BYTES: '4096',
      BALUHOST_STORAGE_RESERVE_BYTES: '512',
      BALUHOST_UPLOAD_DENY_TYPES: '.EXE, dll, tar.gz',
      CLAMD_SOCKET: '/run/clamav/clamd.ctl',
      BALUHOST_PROC_ROOT: '/host/proc',
      BALUHOST_TELEMETRY_INTERVAL_MS: '2000',
      BALUHOST_TELEMETRY_SAMPLES: '30',
      BALUHOST_BACKUP_DIR: '/srv/backups',
      BALUHOST_ACCESS_TOKEN_TTL_SECONDS: '600',
      BALUHOST_REFRESH_TOKEN_TTL_SECONDS: '7200',
      BALUHOST_ADMIN_USERNAME: 'root-admin',
      BALUHOST_ADMIN_PASSWORD: 'first-admin-passphrase-1',
      BALUHOST_REGISTRATION_ENABLED: 'true',
      BALUHOST_SECRET_KEY: GOOD_KEY,
      BALUHOST_PREVIOUS_SECRET_KEYS: 'old-key-one-0123456789abcdefghijklmn, old-key-two-0123456789abcdefghijklmn',
      BALUHOST_ENCRYPTION_KEY: 'encryption-key-0123456789abcdefghijkl',
      BALUHOST_PREVIOUS_ENCRYPTION_KEYS: 'old-encryption-0123456789abcdefghijkl',
      BALUHOST_SESSION_IDLE_TIMEOUT_SECONDS: '1800',
      BALUHOST_LOCKOUT_THRESHOLD: '7',
      BALUHOST_LOCKOUT_SECONDS: '120',
      BALUHOST_AUTH_RATE_LIMIT_PER_MINUTE: '20',
      BALUHOST_API_RATE_LIMIT_PER_MINUTE: '600',
      BALUHOST_SQLITE_BUSY_TIMEOUT_MS: '250',
    });
    expect(config.server).toEqual({
      host: '0.0.0.0',
      port: 9000,
      trustedProxies: ['10.0.0.1', '10.0.0.2'],
      bodyLimitBytes: 2048,
      shutdownTimeoutMs: 1234,
      docsEnabled: true,
      corsOrigins: ['https://a.example', 'https://b.example'],
    });
    expect(config.logLevel).toBe('warn');
    expect(config.observability).toEqual({
      release: 'r42',
      logFile: { path: resolve('logs/api.log'), size: '10m', frequency: 'hourly', keep: 3, rotation: 'external' },
      slowRequestMs: 700,
      slowQueryMs: 70,
      sentryDsn: 'https://key@sentry.example/1',
      metricsToken: 'metrics-token-0123456789',
      readyMinFreeBytes: 12345,
      maxEventLoopDelayMs: 321,
      maxHeapUsedBytes: 99999999,
    });
    expect(config.files).toEqual({
      defaultQuotaBytes: 1000,
      uploadMaxBytes: 4096,
      reserveBytes: 512,
      denyTypes: ['exe', 'dll', 'tar.gz'],
      clamdSocket: '/run/clamav/clamd.ctl',
    });
    expect(config.system).toEqual({ procRoot: '/host/proc', telemetryIntervalMs: 2000, telemetrySamples: 30 });
    expect(config.backups).toEqual({ dir: '/srv/backups' });
    expect(config.auth).toEqual({
      secretKey: GOOD_KEY,
      accessTokenTtlSeconds: 600,
      refreshTokenTtlSeconds: 7200,
      adminUsername: 'root-admin',
      adminPassword: 'first-admin-passphrase-1',
      registrationEnabled: true,
      previousSecretKeys: ['old-key-one-0123456789abcdefghijklmn', 'old-key-two-0123456789abcdefghijklmn'],
      encryptionKey: 'encryption-key-0123456789abcdefghijkl',
      previousEncryptionKeys: ['old-encryption-0123456789abcdefghijkl'],
      sessionIdleTimeoutSeconds: 1800,
    });
    expect(config.throttle).toEqual({ lockoutThreshold: 7, lockoutSeconds: 120, authPerMinute: 20, apiPerMinute: 600 });
    expect(config.database).toEqual({ kind: 'sqlite', file: resolve('data', 'baluhost.db'), busyTimeoutMs: 250 });
  });

  it('leaves optional settings off when unset', () => {
    const config = parseConfig({});
    expect(config.observability).toMatchObject({
      logFile: null,
      sentryDsn: null,
      metricsToken: null,
      release: expect.stringMatching(/^\d+\.\d+\.\d+/),
    });
    expect(config.files).toMatchObject({
      defaultQuotaBytes: null,
      clamdSocket: null,
      denyTypes: ['exe', 'dll', 'msi', 'elf', 'macho', 'apk', 'jar'],
    });
    expect(config.backups.dir).toBe(resolve('data', 'backups'));
    expect(config.auth).toMatchObject({
      adminPassword: null,
      encryptionKey: null,
      previousSecretKeys: [],
      previousEncryptionKeys: [],
      registrationEnabled: false,
    });
    expect(config.server.docsEnabled).toBe(true);
    expect(parseConfig({ BALUHOST_UPLOAD_DENY_TYPES: 'none' }).files.denyTypes).toEqual([]);
    expect(parseConfig({ BALUHOST_DOCS_ENABLED: 'false' }).server.docsEnabled).toBe(false);
    expect(parseConfig({ LOG_LEVEL: 'critical' }).logLevel).toBe('fatal');
    expect(parseConfig({ LOG_LEVEL: 'debug' }).logLevel).toBe('debug');
  });

  it('sets the PostgreSQL pool and the tools container from the environment', () => {
    const config = parseConfig({
      DATABASE_URL: 'postgres://u@db/x',
      BALUHOST_DB_POOL_MAX: '3',
      BALUHOST_DB_IDLE_TIMEOUT_MS: '1111',
      BALUHOST_DB_STATEMENT_TIMEOUT_MS: '2222',
      BALUHOST_DB_CONNECT_TIMEOUT_MS: '3333',
      BALUHOST_PG_TOOLS_CONTAINER: 'baluhost-db',
    });
    expect(config.database).toEqual({
      kind: 'postgres',
      url: 'postgres://u@db/x',
      poolMax: 3,
      idleTimeoutMs: 1111,
      statementTimeoutMs: 2222,
      connectTimeoutMs: 3333,
      toolsContainer: 'baluhost-db',
    });
    expect(parseConfig({ DATABASE_URL: 'postgres://u@db/x' }).database).toMatchObject({ toolsContainer: null });
  });

  it('refuses a first-admin password shorter than the policy', () => {
    expect(issuesOf({ BALUHOST_ADMIN_PASSWORD: 'short' })[0]).toMatch(/^BALUHOST_ADMIN_PASSWORD/);
  });

  it('returns a frozen object', () => {
    const config = parseConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.server)).toBe(true);
    expect(() => {
      (config.server as { port: number }).port = 1;
    }).toThrow();
  });
});

describe('loadConfig', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('creates a development secret key once, mode 0600, and reuses it', async () => {
    dir = await mkdtemp(join(tmpdir(), 'baluhost-config-'));
    const first = await loadConfig({ BALUHOST_DATA_DIR: dir });
    const second = await loadConfig({ BALUHOST_DATA_DIR: dir });
    expect(first.auth.secretKey).toHaveLength(64);
    expect(second.auth.secretKey).toBe(first.auth.secretKey);
    expect((await stat(join(dir, 'secret.key'))).mode & 0o777).toBe(0o600);
    expect((await readFile(join(dir, 'secret.key'), 'utf8')).trim()).toBe(first.auth.secretKey);
  });

  it('prefers the configured key and writes no file', async () => {
    dir = await mkdtemp(join(tmpdir(), 'baluhost-config-'));
    const config = await loadConfig({ BALUHOST_DATA_DIR: dir, BALUHOST_SECRET_KEY: GOOD_KEY });
    expect(config.auth.secretKey).toBe(GOOD_KEY);
    await expect(stat(join(dir, 'secret.key'))).rejects.toThrow();
  });

  it('refuses a tampered, too-short key file, and accepts one of exactly 32 characters', async () => {
    dir = await mkdtemp(join(tmpdir(), 'baluhost-config-'));
    await writeFile(join(dir, 'secret.key'), `${'k'.repeat(31)}\n`);
    await expect(loadConfig({ BALUHOST_DATA_DIR: dir })).rejects.toMatchObject({
      issues: [`${join(dir, 'secret.key')}: secret key is shorter than 32 characters`],
    });
    await writeFile(join(dir, 'secret.key'), `${'k'.repeat(32)}\n`);
    expect((await loadConfig({ BALUHOST_DATA_DIR: dir })).auth.secretKey).toBe('k'.repeat(32));
  });

  it('gives two processes starting at once the same key', async () => {
    dir = await mkdtemp(join(tmpdir(), 'baluhost-config-'));
    const configs = await Promise.all(Array.from({ length: 8 }, () => loadConfig({ BALUHOST_DATA_DIR: dir })));
    expect(new Set(configs.map((c) => c.auth.secretKey)).size).toBe(1);
    expect((await readFile(join(dir, 'secret.key'), 'utf8')).trim()).toBe(configs[0]?.auth.secretKey);
    expect(await readdir(dir)).toEqual(['secret.key']);
  });

  it('reports a key file it cannot read instead of replacing it', async () => {
    dir = await mkdtemp(join(tmpdir(), 'baluhost-config-'));
    await mkdir(join(dir, 'secret.key'));
    await expect(loadConfig({ BALUHOST_DATA_DIR: dir })).rejects.toMatchObject({ code: 'EISDIR' });
  });
});
