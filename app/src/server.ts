import { dirname } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildApp } from './app.js';
import { loadConfig, type Config } from './config/index.js';
import { createDatabase, prepareSchema, type Database } from './db/index.js';
import { createLogger } from './logger.js';
import { createArgon2Hasher, createTransactionRunner, systemClock } from './repositories/index.js';
import { ensureFirstAdmin } from './services/index.js';
import { createErrorTracker } from './observability/error-tracking.js';
import { assertWritableFolders } from './lib/writable-folders.js';

/** loadConfig → database → schema → first admin → listen; SIGTERM/SIGINT drain and close. */
async function main(): Promise<void> {
  const config = await loadConfig(process.env);
  await assertWritableFolders(writableFolders(config));
  const logger = createLogger(config);
  const database = createDatabase(config.database, logger);
  try {
    const applied = await prepareSchema(database.db, database.dialect, config.autoMigrate);
    if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');
    const hasher = createArgon2Hasher();
    const admin = await ensureFirstAdmin(
      { transaction: createTransactionRunner(database.db), hasher, clock: systemClock },
      { username: config.auth.adminUsername, password: config.auth.adminPassword },
    );
    const errorTracker = await createErrorTracker(config);
    const app = await buildApp({ config, database, logger, hasher, errorTracker });
    await app.listen({ host: config.server.host, port: config.server.port });
    printBanner(config, app, admin);
    installShutdown(app, database, logger, config.server.shutdownTimeoutMs);
  } catch (err) {
    await database.destroy().catch(() => undefined);
    throw err;
  }
}

/** The folders the server writes to, by the setting that chooses each. */
function writableFolders(config: Config): { setting: string; path: string }[] {
  return [
    { setting: 'BALUHOST_DATA_DIR', path: config.dataDir },
    { setting: 'BALUHOST_STORAGE_ROOT', path: config.storageRoot },
    { setting: 'BALUHOST_BACKUP_DIR', path: config.backups.dir },
    ...(config.observability.logFile ? [{ setting: 'BALUHOST_LOG_FILE', path: dirname(config.observability.logFile.path) }] : []),
  ];
}

function printBanner(config: Config, app: FastifyInstance, admin: Awaited<ReturnType<typeof ensureFirstAdmin>>): void {
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.server.port;
  const host = config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host;
  const lines = [`BaluHost ${config.version} is running at http://${host}:${port} (database: ${config.database.kind})`];
  if (admin.created && admin.generatedPassword) {
    lines.push(
      `First admin created. Username: ${admin.username}  Password: ${admin.generatedPassword}`,
      'This password is shown only once: log in and change it (POST /api/auth/change-password).',
    );
  } else if (admin.created) {
    lines.push(`First admin created. Username: ${admin.username} (password from BALUHOST_ADMIN_PASSWORD)`);
  }
  process.stdout.write(`\n${lines.join('\n')}\n\n`);
}

function installShutdown(app: FastifyInstance, database: Database, logger: Logger, timeoutMs: number): void {
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down: draining in-flight requests');
    // If a client holds a request open forever, exit anyway rather than hang the service manager.
    const force = setTimeout(() => {
      logger.error({ timeoutMs }, 'shutdown timed out; exiting with requests still open');
      process.exit(1);
    }, timeoutMs);
    force.unref();
    app
      .close()
      .then(() => app.errorTracker?.flush(2000))
      .then(() => database.destroy())
      .then(() => {
        logger.info('shutdown complete');
        process.exit(0);
      })
      .catch((err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  const name = err instanceof Error ? err.name : 'Error';
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`ERROR (${name}): ${message}\n`);
  if (process.argv.includes('--verbose') && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  process.exitCode = 1;
});
