import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ForbiddenError, UnauthorizedError } from '../errors/index.js';
import type { Principal, RequestContext } from '../services/index.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyInstance {
    /** preHandler: any active user with a live session. */
    authenticate(request: FastifyRequest): Promise<void>;
    /** preHandler: an authenticated admin. */
    requireAdmin(request: FastifyRequest): Promise<void>;
  }
}

export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(header.trim());
  return match?.[1] ?? null;
}

/** The authenticated principal; only call after the authenticate preHandler ran. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new UnauthorizedError();
  return request.principal;
}

export function requestContext(request: FastifyRequest): RequestContext {
  const userAgent = request.headers['user-agent'];
  return { ip: request.ip ?? null, userAgent: typeof userAgent === 'string' ? userAgent.slice(0, 512) : null, requestId: request.id };
}

export const authPlugin = fp(async function auth(app: FastifyInstance) {
  app.decorateRequest('principal', null);

  app.decorate('authenticate', async function authenticate(request: FastifyRequest) {
    const token = bearerToken(request);
    if (!token) throw new UnauthorizedError('Not authenticated', 'not_authenticated');
    request.principal = await app.services.auth.authenticate(token);
    request.log = request.log.child({ userId: request.principal.user.id });
  });

  app.decorate('requireAdmin', async function requireAdmin(request: FastifyRequest) {
    await app.authenticate(request);
    if (principalOf(request).user.role !== 'admin') throw new ForbiddenError('Admin rights required', 'admin_required');
  });
});
