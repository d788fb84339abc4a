import { timingSafeEqual } from 'node:crypto';
import underPressure from '@fastify/under-pressure';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Database } from '../db/index.js';
import { ForbiddenError } from '../errors/index.js';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import { currentRequestId, requestScope } from '../observability/request-scope.js';
import type { ErrorTracker } from '../observability/error-tracking.js';
import { createDatabaseOutage, type DatabaseOutage } from '../observability/database-outage.js';
import type { AppError } from '../errors/index.js';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics;
    errorTracker: ErrorTracker | null;
    databaseOutage: DatabaseOutage;
  }
  interface FastifyRequest {
    /** Set by the error handler, so the request's one log line carries what went wrong. */
    failure?: { error: unknown; mapped: AppError };
  }
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

function routeOf(request: FastifyRequest): string {
  return request.routeOptions.url ?? 'unmatched';
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const presented = /^Bearer (.+)$/.exec(header ?? '')?.[1];
  if (!presented) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Request scope for logs below the HTTP layer, one log line and one histogram sample per request,
 * slow-query warnings, /metrics, and load shedding.
 */
export const observabilityPlugin = fp(async function observability(
  app: FastifyInstance,
  options: { database: Database; errorTracker: ErrorTracker | null },
) {
  const { observability: cfg } = app.config;
  const outage = createDatabaseOutage({ logger: app.log, tracker: () => app.errorTracker });
  const metrics = createMetrics({
    database: options.database,
    storage: app.services.storage,
    repos: app.services.repos,
    release: cfg.release,
    onDatabaseStateChange: (up, err) =>
      up ? outage.recovered() : outage.failed(err, { reqId: currentRequestId() ?? 'scrape', route: '/metrics' }),
  });
  app.decorate('metrics', metrics);
  app.decorate('errorTracker', options.errorTracker);
  app.decorate('databaseOutage', outage);

  app.addHook('onRequest', (request, _reply, done) => {
    metrics.inFlight.inc();
    requestScope.run({ reqId: request.id }, done);
  });

  app.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    metrics.inFlight.dec();
    const route = routeOf(request);
    const durationMs = reply.elapsedTime;
    metrics.httpDuration.observe({ method: request.method, route, status: String(reply.statusCode) }, durationMs / 1000);
    const length = Number(reply.getHeader('content-length'));
    // The user id is already bound to request.log by authentication; the failure, if any, was
    // left here by the error handler: one line per request, whatever happened.
    const failure = request.failure;
    const line = {
      method: request.method,
      route,
      status: reply.statusCode,
      durationMs: Math.round(durationMs * 10) / 10,
      bytes: Number.isFinite(length) ? length : null,
      ...(failure ? { code: failure.mapped.code } : {}),
      ...(failure && reply.statusCode >= 500 ? { err: failure.error } : {}),
    };
    // During a database outage every request fails alike: the outage itself is the one error line.
    if (reply.statusCode >= 500 && failure?.mapped.code !== 'database_unavailable') request.log.error(line, 'request completed');
    else if (reply.statusCode >= 500) request.log.warn(line, 'request completed');
    else if (durationMs > cfg.slowRequestMs) request.log.warn({ ...line, slow: true }, 'request completed');
    else request.log.info(line, 'request completed');
  });

  const unsubscribe = options.database.onQuery((event) => {
    if (!event.failed) outage.recovered();
    if (event.durationMs >= cfg.slowQueryMs)
      app.log.warn({ reqId: currentRequestId(), durationMs: Math.round(event.durationMs), sql: event.sql.slice(0, 500) }, 'slow query');
  });
  app.addHook('onClose', async () => unsubscribe());

  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    const token = cfg.metricsToken;
    // request.ip already honours trusted proxies: a client behind nginx is not "loopback".
    if (!LOOPBACK.has(request.ip) && !(token && tokenMatches(request.headers.authorization, token))) {
      throw new ForbiddenError('Metrics are served to loopback clients or with the metrics token', 'metrics_forbidden');
    }
    return reply.header('content-type', metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  if (cfg.maxEventLoopDelayMs > 0 || cfg.maxHeapUsedBytes > 0) {
    await app.register(underPressure, {
      maxEventLoopDelay: cfg.maxEventLoopDelayMs,
      maxHeapUsedBytes: cfg.maxHeapUsedBytes,
      retryAfter: 5,
      exposeStatusRoute: false,
      pressureHandler: (_request, reply, type, value) => {
        metrics.errors.inc({ code: 'overloaded', status: '503' });
        void reply
          .status(503)
          .header('retry-after', '5')
          .send({ detail: `Server is overloaded (${type}: ${Math.round(Number(value))}); retry shortly`, code: 'overloaded' });
      },
    });
  }
});
