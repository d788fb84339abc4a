import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../app/src/config/index.js';
import { ConfigError } from '../../app/src/errors/index.js';

const GOOD_KEY = 'k'.repeat(20) + '0123456789abcdefghij';

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
    expect(config.auth).toMatchObject({ adminUsername: 'admin', adminPassword: null, registrationEnabled: false, accessTokenTtlSeconds: 900 });
    expect(config.mode).toBe('development');
  });

  it('chooses PostgreSQL from DATABASE_URL with pool settings, and does not auto-migrate it', () => {
    const config = parseConfig({ DATABASE_URL: 'postgres://u:p@db:5432/baluhost', BALUHOST_DB_POOL_MAX: '4', BALUHOST_DB_STATEMENT_TIMEOUT_MS: '2500' });
    expect(config.database).toMatchObject({ kind: 'postgres', url: 'postgres://u:p@db:5432/baluhost', poolMax: 4, statementTimeoutMs: 2500 });
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
    const issues = issuesOf({ PORT: 'eighty', BALUHOST_SHUTDOWN_TIMEOUT_MS: '-1', LOG_LEVEL: 'loud', NODE_ENV: 'staging', DATABASE_URL: 'mysql://x', BALUHOST_DB_POOL_MAX: '0', BALUHOST_REGISTRATION_ENABLED: 'perhaps' });
    const keys = issues.map((i) => i.split(':')[0]).sort();
    expect(keys).toEqual(['BALUHOST_DB_POOL_MAX', 'BALUHOST_REGISTRATION_ENABLED', 'BALUHOST_SHUTDOWN_TIMEOUT_MS', 'DATABASE_URL', 'LOG_LEVEL', 'NODE_ENV', 'PORT']);
  });

  it('shows the bad value, except for secrets', () => {
    const issues = issuesOf({ PORT: '70000', DATABASE_URL: 'mysql://user:hunter2@db/x' });
    expect(issues.find((i) => i.startsWith('PORT'))).toContain('"70000"');
    expect(issues.join('\n')).not.toContain('hunter2');
  });

  it('refuses a short secret key in any mode', () => {
    expect(issuesOf({ BALUHOST_SECRET_KEY: 'short' })).toEqual([expect.stringMatching(/^BALUHOST_SECRET_KEY: must be at least 32/)]);
  });

  it.each([
    ['missing', {}],
    ['a known default', { BALUHOST_SECRET_KEY: 'change-me' }],
    ['one repeated character', { BALUHOST_SECRET_KEY: 'a'.repeat(40) }],
  ])('refuses a %s secret key in production', (_name, env) => {
    const issues = issuesOf({ NODE_ENV: 'production', ...env });
    expect(issues.some((i) => i.startsWith('BALUHOST_SECRET_KEY'))).toBe(true);
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

  it('refuses a tampered, too-short key file', async () => {
    dir = await mkdtemp(join(tmpdir(), 'baluhost-config-'));
    await writeFile(join(dir, 'secret.key'), 'tiny\n');
    await expect(loadConfig({ BALUHOST_DATA_DIR: dir })).rejects.toThrow(ConfigError);
  });
});
