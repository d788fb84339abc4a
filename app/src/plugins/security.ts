/**
 * Response headers (helmet), CORS from an explicit allow-list, and the per-address rate limits.
 * HSTS is sent only when the request arrived over HTTPS (directly or via a trusted proxy's
 * X-Forwarded-Proto): a plain-HTTP LAN setup must not pin browsers to HTTPS it does not have.
 */
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import type { FastifyInstance, FastifyReply } from 'fastify';
import fp from 'fastify-plugin';
import { CREDENTIAL_ROUTES } from '../lib/credential-routes.js';
import { requestContext } from './auth.js';

/** Paths never rate-limited: probes and scrapes from the NAS itself. */
const UNLIMITED = ['/api/health', '/api/ready', '/metrics'];
/** /docs (Swagger UI) needs scripts and styles from itself; the API needs nothing. */
const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
const DOCS_CSP =
  "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * The headers helmet and the hook below give every answer, for the one answer sent before any hook
 * runs: the router's refusal of a malformed URL (see frameworkErrors in app.ts).
 */
export function setBaselineHeaders(reply: FastifyReply): void {
  reply.headers({
    'content-security-policy': API_CSP,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-resource-policy': 'same-origin',
    'cross-origin-opener-policy': 'same-origin',
  });
}

async function security(app: FastifyInstance) {
  await app.register(helmet, {
    // Set below per response: the API and /docs need different policies.
    contentSecurityPolicy: false,
    hsts: false,
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    crossOriginOpenerPolicy: { policy: 'same-origin' },
    frameguard: { action: 'deny' },
  });
  app.addHook('onSend', async (request, reply) => {
    if (!reply.hasHeader('content-security-policy'))
      reply.header('content-security-policy', request.url.startsWith('/docs') ? DOCS_CSP : API_CSP);
    if (request.protocol === 'https') reply.header('strict-transport-security', 'max-age=63072000');
  });

  const origins = new Set(app.config.server.corsOrigins);
  await app.register(cors, {
    // Only listed origins, echoed back exactly; never `*`, and no cookies are used for auth.
    origin: (origin, callback) => callback(null, origin !== undefined && origins.has(origin)),
    credentials: false,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type', 'x-request-id', 'x-share-password', 'range'],
    exposedHeaders: ['x-request-id', 'retry-after', 'content-disposition', 'content-range'],
    maxAge: 600,
  });

  app.addHook('onRequest', async (request) => {
    // The route the router matched, never the raw URL: "/api/%61uth/login" is the login route and
    // counts as one. A URL no route matches is judged by its decoded form (and counts as API use).
    const path = request.routeOptions.url ?? decodedPath(request.url);
    if (UNLIMITED.includes(path) || request.method === 'OPTIONS') return;
    if ((CREDENTIAL_ROUTES as readonly string[]).includes(path)) await app.services.throttle.limitAuth(requestContext(request));
    else if (path.startsWith('/api/')) await app.services.throttle.limitApi(requestContext(request));
  });
}

function decodedPath(url: string): string {
  const raw = url.split('?')[0] ?? '';
  try {
    return decodeURIComponent(raw);
  } catch {
    return '/api/';
  }
}

export const securityPlugin = fp(security, { name: 'baluhost-security' });
