import { randomUUID } from 'node:crypto';
import multipart from '@fastify/multipart';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config/index.js';
import { schemaStatus, type Database } from './db/index.js';
import { authPlugin } from './plugins/auth.js';
import { errorHandlerPlugin } from './plugins/error-handler.js';
import { observabilityPlugin } from './plugins/observability.js';
import type { ErrorTracker } from './observability/error-tracking.js';
import { openApiPlugin } from './plugins/openapi.js';
import { securityPlugin, setBaselineHeaders } from './plugins/security.js';
import { createValidatorCompiler } from './plugins/validation.js';
import type { Clock, PasswordHasher } from './repositories/index.js';
import { authRoutes } from './routes/auth.js';
import { filesRoutes } from './routes/files.js';
import { usersRoutes } from './routes/users.js';
import { sharesRoutes } from './routes/shares.js';
import { systemRoutes } from './routes/system.js';
import { loggingRoutes } from './routes/logging.js';
import { backupsRoutes } from './routes/backups.js';
import { healthRoutes } from './routes/health.js';
import { securityRoutes } from './routes/security.js';
import { adminDatabaseRoutes } from './routes/admin-database.js';
import { createServices, type Services } from './services/index.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    services: Services;
  }
}

export interface AppDeps {
  config: Config;
  database: Database;
  logger: Logger;
  clock?: Clock;
  hasher?: PasswordHasher;
  /** Sentry (or none), created by the server entry when SENTRY_DSN is set. */
  errorTracker?: ErrorTracker | null;
}

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Builds the API without listening: the server entry listens, tests call `app.inject`. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const app = Fastify({
    loggerInstance: deps.logger as unknown as FastifyBaseLogger,
    trustProxy: [...config.server.trustedProxies],
    bodyLimit: config.server.bodyLimitBytes,
    requestIdHeader: false,
    // Clients call both /api/users and /api/users/.
    routerOptions: { ignoreTrailingSlash: true },
    // An id from the reverse proxy ties its log line to ours; anything odd-looking is replaced.
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    ajv: { customOptions: { allErrors: true } },
    return503OnClosing: true,
    // The router refuses a malformed %-escape before any hook runs: same error shape and headers as any 4xx.
    frameworkErrors: (error, _request, reply) => {
      const answer = reply as unknown as FastifyReply;
      setBaselineHeaders(answer);
      void answer.code(400).send({ detail: `Malformed URL: ${error.message}`, code: 'bad_url' });
    },
    // The observability plugin writes one line per request, with the route pattern instead of the URL.
    logController: new LogController({ disableRequestLogging: true }),
  });
  app.setValidatorCompiler(createValidatorCompiler());
  app.decorate('config', config);
  // The lockout counter lives on the metrics registry, which the observability plugin creates next.
  app.decorate('services', createServices({ ...deps, onLockout: () => app.metrics.authLockouts.inc() }));
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  await app.register(observabilityPlugin, { database: deps.database, errorTracker: deps.errorTracker ?? null });
  await app.register(errorHandlerPlugin);
  await app.register(securityPlugin);
  await app.register(authPlugin);
  await app.register(openApiPlugin);
  await app.register(multipart, {
    // Caps the plugin's own buffering; file size is enforced by the uploads service while streaming.
    limits: { fieldNameSize: 100, fieldSize: 8192, fields: 10, files: 100, headerPairs: 200, fileSize: config.files.uploadMaxBytes + 1 },
    throwFileSizeLimit: false,
    // Hand us the client's filename as sent: path safety refuses "../x" instead of busboy quietly trimming it.
    preservePath: true,
  });
  app.addHook('onReady', async () => {
    // server.ts migrates before building the app; an app on an older schema only answers /api/ready with 503.
    if ((await schemaStatus(deps.database.db, deps.database.dialect)).current) {
      const sealed = await app.services.shares.sealStoredTokens();
      if (sealed > 0) app.log.info({ sealed }, 'share link tokens stored before sealing are now sealed');
    }
    app.services.telemetry.start();
  });
  app.addHook('onClose', async () => {
    app.services.telemetry.stop();
    // A backup job writes to the database: let it finish before the pool closes.
    await app.services.backups.idle();
  });
  await app.register(healthRoutes);
  await app.register(authRoutes);
  await app.register(filesRoutes);
  await app.register(usersRoutes);
  await app.register(adminDatabaseRoutes);
  await app.register(sharesRoutes);
  await app.register(systemRoutes);
  await app.register(loggingRoutes);
  await app.register(backupsRoutes);
  await app.register(securityRoutes);
  return app;
}
