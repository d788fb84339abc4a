import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ForbiddenError, UnauthorizedError } from '../errors/index.js';
import type { Principal, RequestContext } from '../services/index.js';
import { EMPTY_BODY_SHA256 } from '../services/api-keys.service.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /**
     * The access token may come as `?token=` (only on routes a browser opens as a plain link, which
     * can carry no header: the web client's backup download). Neither our logs nor nginx's keep it.
     */
    tokenInQuery?: boolean;
  }
  interface FastifyInstance {
    /** preValidation hook: any active user with a live session. Authentication runs before input validation, so an unauthenticated client learns nothing about a route from its 422s. */
    authenticate: (request: FastifyRequest) => Promise<void>;
    /** preValidation hook: an authenticated admin. */
    requireAdmin: (request: FastifyRequest) => Promise<void>;
    /** preValidation hook: an admin who proved the password within 5 minutes (or signed the request with an API key). */
    requireFreshAdmin: (request: FastifyRequest) => Promise<void>;
  }
  interface FastifyRequest {
    /** SHA-256 of the raw body, computed while it streams in (signed requests only). */
    bodySha256: string | null;
    /** Resolves with bodySha256 once the whole body has arrived (signed requests only). */
    bodyDigest: Promise<string> | null;
  }
}

export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(header.trim());
  return match?.[1] ?? null;
}

function queryToken(request: FastifyRequest): string | null {
  if (!request.routeOptions.config.tokenInQuery) return null;
  const token = (request.query as Record<string, unknown> | undefined)?.['token'];
  return typeof token === 'string' && /^[A-Za-z0-9._~+/-]+=*$/.test(token) ? token : null;
}

/** The authenticated principal; only call after the authenticate hook ran. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new UnauthorizedError();
  return request.principal;
}

export function requestContext(request: FastifyRequest): RequestContext {
  const userAgent = request.headers['user-agent'];
  return { ip: request.ip ?? null, userAgent: typeof userAgent === 'string' ? userAgent.slice(0, 512) : null, requestId: request.id };
}

const header = (request: FastifyRequest, name: string) => {
  const value = request.headers[name];
  return typeof value === 'string' ? value : '';
};

/** Where a client declares the SHA-256 of a body the server reads only after authenticating (uploads). */
export const CONTENT_SHA256_HEADER = 'x-baluhost-content-sha256';

/**
 * The body hash a signature must cover: the declared one when given (checked against the bytes as
 * they end), else the bytes already read. A body not read yet and not declared cannot be covered.
 */
function signedBodyHash(request: FastifyRequest): string {
  const declared = header(request, CONTENT_SHA256_HEADER);
  if (declared) {
    if (request.bodySha256 !== null && request.bodySha256 !== declared)
      throw new UnauthorizedError('The body does not match its signed SHA-256', 'invalid_signature');
    return declared;
  }
  if (request.bodySha256 !== null) return request.bodySha256;
  const hasBody = Number(request.headers['content-length'] ?? 0) > 0 || request.headers['transfer-encoding'] !== undefined;
  if (hasBody)
    throw new UnauthorizedError(
      `A signed request whose body is streamed (an upload) must declare its SHA-256 in ${CONTENT_SHA256_HEADER}`,
      'unsigned_body',
    );
  return EMPTY_BODY_SHA256;
}

/**
 * For a body read after authentication: once it has all arrived, it must be the body whose hash the
 * request declared and signed. A request that was not signed has nothing to check.
 */
export async function signedBodyMatches(request: FastifyRequest): Promise<void> {
  const declared = header(request, CONTENT_SHA256_HEADER);
  if (!request.bodyDigest || !declared) return;
  if ((await request.bodyDigest) !== declared)
    throw new UnauthorizedError('The body does not match its signed SHA-256', 'invalid_signature');
}

export const authPlugin = fp(async function auth(app: FastifyInstance) {
  app.decorateRequest('principal', null);
  app.decorateRequest('bodySha256', null);
  app.decorateRequest('bodyDigest', null);

  // A signed request covers the exact body bytes: hash them as they stream in, before any parsing.
  // A body read only after authentication (a multipart upload) is signed through the hash the client
  // declares; the upload checks the bytes against it before it stores anything (signedBodyMatches).
  app.addHook('preParsing', async (request, _reply, payload) => {
    if (!request.headers['x-baluhost-signature']) return payload;
    // A listener on the body stream itself, paused until a reader comes: the JSON parser reads this
    // stream, @fastify/multipart reads the raw request later, and both must see every byte.
    const hash = createHash('sha256');
    payload.on('data', (chunk: Buffer) => hash.update(chunk));
    payload.pause();
    request.bodyDigest = new Promise((resolve) =>
      payload.once('end', () => {
        request.bodySha256 = hash.digest('hex');
        resolve(request.bodySha256);
      }),
    );
    return payload;
  });

  app.decorate('authenticate', async function authenticate(request: FastifyRequest) {
    // Chained hooks (authenticate, then requireAdmin) must not verify twice: a signed request's nonce is single-use.
    if (request.principal) return;
    if (request.headers['x-baluhost-key'] !== undefined) {
      request.principal = await app.services.apiKeys.authenticate({
        method: request.method,
        url: request.url,
        keyId: header(request, 'x-baluhost-key'),
        timestamp: header(request, 'x-baluhost-timestamp'),
        nonce: header(request, 'x-baluhost-nonce'),
        signature: header(request, 'x-baluhost-signature'),
        bodySha256: signedBodyHash(request),
      });
      request.log = request.log.child({ userId: request.principal.user.id, apiKey: header(request, 'x-baluhost-key') });
      return;
    }
    const token = bearerToken(request) ?? queryToken(request);
    if (!token) throw new UnauthorizedError('Not authenticated', 'not_authenticated');
    request.principal = await app.services.auth.authenticate(token);
    request.log = request.log.child({ userId: request.principal.user.id });
  });

  app.decorate('requireAdmin', async function requireAdmin(request: FastifyRequest) {
    await app.authenticate(request);
    if (principalOf(request).user.role !== 'admin') throw new ForbiddenError('Admin rights required', 'admin_required');
  });

  app.decorate('requireFreshAdmin', async function requireFreshAdmin(request: FastifyRequest) {
    await app.requireAdmin(request);
    app.services.auth.assertFreshAuthentication(principalOf(request));
  });
});
