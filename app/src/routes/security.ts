import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { principalOf, requestContext } from '../plugins/auth.js';
import { authErrorResponses, MessageResponse } from '../schemas/common.js';
import { ResetTokenResponse } from '../schemas/auth.js';
import {
  ApiKeyList,
  ApiKeyParams,
  CreateApiKeyBody,
  CreatedApiKey,
  LockoutList,
  LockoutParams,
  RateLimitChange,
  RateLimitConfig,
  RateLimitOverview,
  RateLimitParams,
  RateLimits,
  ReauthenticateBody,
} from '../schemas/security.js';
import { NotFoundError, ValidationError } from '../errors/index.js';
import { LIMIT_SCOPES, type LimitScope, type ScopeLimit } from '../services/throttle.service.js';

const SCOPE_DESCRIPTIONS: Record<LimitScope, string> = {
  auth: 'Requests to /api/auth/* (login, refresh, register, change password) per client address',
  api: 'Requests to the rest of the API per client address',
};

/** The web client's rate-limit row for one of our two per-address limits. */
function rateLimitConfig(limit: ScopeLimit, startedAt: string) {
  return {
    id: LIMIT_SCOPES.indexOf(limit.scope) + 1,
    endpoint_type: limit.scope,
    limit_string: `${limit.perMinute}/minute`,
    description: SCOPE_DESCRIPTIONS[limit.scope],
    enabled: limit.enabled,
    // The limits in force since this server started, or since an admin last changed them.
    created_at: limit.updatedAt ?? startedAt,
    updated_at: limit.updatedAt,
    updated_by: null,
  };
}

function scopeOf(endpointType: string): LimitScope {
  if (!(LIMIT_SCOPES as readonly string[]).includes(endpointType))
    throw new NotFoundError(
      `No rate limit named ${JSON.stringify(endpointType)}: BaluHost has ${LIMIT_SCOPES.join(' and ')}`,
      'rate_limit_not_found',
    );
  return endpointType as LimitScope;
}

function perMinuteOf(limitString: string): number {
  const match = /^\s*(\d{1,7})\s*\/\s*(?:minute|min|m)\s*$/i.exec(limitString);
  if (!match)
    throw ValidationError.field(['body', 'limit_string'], 'must be "N/minute": BaluHost counts requests per client address and minute');
  return Number(match[1]);
}
import { UserIdParams } from '../schemas/users.js';

/** Admin controls of brute-force protection and sessions. */
export async function securityRoutes(app: FastifyInstance) {
  const tags = ['security'];
  const admin = { preValidation: [app.authenticate, app.requireAdmin] };
  const startedAt = app.services.clock.now().toISOString();
  const security = [{ bearer: [] }];

  app.get(
    '/api/admin/rate-limits',
    { ...admin, schema: { tags, security, response: { 200: RateLimitOverview, ...authErrorResponses } } },
    async () => {
      const l = await app.services.throttle.limits();
      const configs = (await app.services.throttle.scopeLimits()).map((c) => rateLimitConfig(c, startedAt));
      return {
        lockout_threshold: l.lockoutThreshold,
        lockout_seconds: l.lockoutSeconds,
        auth_per_minute: l.authPerMinute,
        api_per_minute: l.apiPerMinute,
        configs,
        total: configs.length,
      };
    },
  );

  app.post(
    '/api/admin/rate-limits/seed-defaults',
    { ...admin, schema: { tags, security, response: { 204: Type.Null(), ...authErrorResponses } } },
    async (request, reply) => {
      await app.services.throttle.resetLimits(requestContext(request));
      return reply.code(204).send();
    },
  );

  app.get<{ Params: RateLimitParams }>(
    '/api/admin/rate-limits/:endpoint_type',
    { ...admin, schema: { tags, security, params: RateLimitParams, response: { 200: RateLimitConfig, ...authErrorResponses } } },
    async (request) => {
      const scope = scopeOf(request.params.endpoint_type);
      const limit = (await app.services.throttle.scopeLimits()).find((l) => l.scope === scope) as ScopeLimit;
      return rateLimitConfig(limit, startedAt);
    },
  );

  app.put<{ Params: RateLimitParams; Body: RateLimitChange }>(
    '/api/admin/rate-limits/:endpoint_type',
    {
      ...admin,
      schema: { tags, security, params: RateLimitParams, body: RateLimitChange, response: { 200: RateLimitConfig, ...authErrorResponses } },
    },
    async (request) => {
      const scope = scopeOf(request.params.endpoint_type);
      const { limit_string: limitString, enabled } = request.body;
      const limit = await app.services.throttle.setScopeLimit(requestContext(request), scope, {
        ...(limitString !== undefined && { perMinute: perMinuteOf(limitString) }),
        ...(enabled !== undefined && { enabled }),
      });
      return rateLimitConfig(limit, startedAt);
    },
  );

  app.put<{ Body: RateLimits }>(
    '/api/admin/rate-limits',
    { ...admin, schema: { tags, security, body: RateLimits, response: { 200: RateLimits, ...authErrorResponses } } },
    async (request) => {
      const b = request.body;
      const l = await app.services.throttle.setLimits(requestContext(request), {
        lockoutThreshold: b.lockout_threshold,
        lockoutSeconds: b.lockout_seconds,
        authPerMinute: b.auth_per_minute,
        apiPerMinute: b.api_per_minute,
      });
      return {
        lockout_threshold: l.lockoutThreshold,
        lockout_seconds: l.lockoutSeconds,
        auth_per_minute: l.authPerMinute,
        api_per_minute: l.apiPerMinute,
      };
    },
  );

  app.get(
    '/api/admin/lockouts',
    { ...admin, schema: { tags, security, response: { 200: LockoutList, ...authErrorResponses } } },
    async () => ({
      lockouts: (await app.services.throttle.lockouts()).map((l) => ({ subject: l.subject, locked_until: l.lockedUntil, level: l.level })),
    }),
  );

  app.delete<{ Params: LockoutParams }>(
    '/api/admin/lockouts/:subject',
    { ...admin, schema: { tags, security, params: LockoutParams, response: { 200: MessageResponse, ...authErrorResponses } } },
    async (request) => {
      await app.services.throttle.unlock(request.params.subject);
      return { message: `Unlocked ${request.params.subject}` };
    },
  );

  app.post<{ Params: UserIdParams }>(
    '/api/users/:id/reset-token',
    {
      ...admin,
      schema: {
        tags,
        summary: 'A single-use password reset token for the user (valid 30 minutes, shown once).',
        security,
        params: UserIdParams,
        response: { 201: ResetTokenResponse, ...authErrorResponses },
      },
    },
    async (request, reply) => {
      const issued = await app.services.auth.issueResetToken(requestContext(request), principalOf(request), request.params.id);
      return reply.status(201).send({ reset_token: issued.token, expires_at: issued.expiresAt });
    },
  );

  app.post<{ Body: ReauthenticateBody }>(
    '/api/auth/reauthenticate',
    {
      preValidation: app.authenticate,
      schema: {
        tags,
        summary: 'Prove your password again; restore, user deletion and role changes need it within 5 minutes.',
        security,
        body: ReauthenticateBody,
        response: { 200: MessageResponse, ...authErrorResponses },
      },
    },
    async (request) => {
      await app.services.auth.reauthenticate(requestContext(request), principalOf(request), request.body.password);
      return { message: 'Re-authenticated for 5 minutes' };
    },
  );

  app.post<{ Body: CreateApiKeyBody }>(
    '/api/admin/api-keys',
    {
      ...admin,
      preValidation: app.requireFreshAdmin,
      schema: {
        tags,
        summary: 'An HMAC API key for automation, acting as you. The secret is shown once.',
        security,
        body: CreateApiKeyBody,
        response: { 201: CreatedApiKey, ...authErrorResponses },
      },
    },
    async (request, reply) => {
      const key = await app.services.apiKeys.create(requestContext(request), principalOf(request), request.body.name);
      return reply.status(201).send({ key_id: key.keyId, secret: key.secret, message: 'Store the secret now: it is never shown again' });
    },
  );

  app.get(
    '/api/admin/api-keys',
    { ...admin, schema: { tags, security, response: { 200: ApiKeyList, ...authErrorResponses } } },
    async () => ({
      api_keys: (await app.services.apiKeys.list()).map((k) => ({
        key_id: k.keyId,
        name: k.name,
        user_id: k.userId,
        created_at: k.createdAt,
        last_used_at: k.lastUsedAt,
      })),
    }),
  );

  app.delete<{ Params: ApiKeyParams }>(
    '/api/admin/api-keys/:keyId',
    { ...admin, schema: { tags, security, params: ApiKeyParams, response: { 200: MessageResponse, ...authErrorResponses } } },
    async (request) => {
      await app.services.apiKeys.revoke(requestContext(request), principalOf(request), request.params.keyId);
      return { message: `API key ${request.params.keyId} revoked` };
    },
  );

  app.delete<{ Params: UserIdParams }>(
    '/api/users/:id/sessions',
    { ...admin, schema: { tags, security, params: UserIdParams, response: { 200: MessageResponse, ...authErrorResponses } } },
    async (request) => {
      const revoked = await app.services.auth.revokeAllSessions(requestContext(request), principalOf(request), request.params.id);
      return { message: `${revoked} session(s) signed out` };
    },
  );
}
