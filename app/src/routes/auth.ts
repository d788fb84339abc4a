import type { FastifyInstance } from 'fastify';
import { principalOf, requestContext } from '../plugins/auth.js';
import {
  ChangePasswordBody,
  LoginBody,
  RefreshBody,
  ResetPasswordBody,
  SessionList,
  SessionParams,
  TokenResponse,
} from '../schemas/auth.js';
import { authErrorResponses, MessageResponse } from '../schemas/common.js';
import { RegisterBody, toUserDto, UserDto } from '../schemas/users.js';
import type { AuthTokens } from '../services/index.js';

/** Credentials are small: a few KiB is plenty, and a flood of large bodies never reaches argon2. */
const AUTH_BODY_LIMIT = 16 * 1024;

function tokenResponse(result: AuthTokens) {
  return {
    access_token: result.accessToken,
    token_type: 'bearer' as const,
    refresh_token: result.refreshToken,
    expires_in: result.expiresIn,
    user: toUserDto(result.user),
  };
}

export async function authRoutes(app: FastifyInstance) {
  const tags = ['auth'];

  app.post<{ Body: LoginBody }>(
    '/api/auth/login',
    { bodyLimit: AUTH_BODY_LIMIT, schema: { tags, body: LoginBody, response: { 200: TokenResponse, ...authErrorResponses } } },
    async (request) => tokenResponse(await app.services.auth.login(requestContext(request), request.body)),
  );

  app.post<{ Body: RefreshBody }>(
    '/api/auth/refresh',
    { bodyLimit: AUTH_BODY_LIMIT, schema: { tags, body: RefreshBody, response: { 200: TokenResponse, ...authErrorResponses } } },
    async (request) => tokenResponse(await app.services.auth.refresh(requestContext(request), request.body.refresh_token)),
  );

  app.post(
    '/api/auth/logout',
    {
      preValidation: app.authenticate,
      schema: { tags, security: [{ bearer: [] }], response: { 200: MessageResponse, ...authErrorResponses } },
    },
    async (request) => {
      await app.services.auth.logout(requestContext(request), principalOf(request));
      return { message: 'Logged out' };
    },
  );

  app.get(
    '/api/auth/me',
    { preValidation: app.authenticate, schema: { tags, security: [{ bearer: [] }], response: { 200: UserDto, ...authErrorResponses } } },
    async (request) => toUserDto(principalOf(request).user),
  );

  app.post<{ Body: ChangePasswordBody }>(
    '/api/auth/change-password',
    {
      preValidation: app.authenticate,
      bodyLimit: AUTH_BODY_LIMIT,
      schema: { tags, security: [{ bearer: [] }], body: ChangePasswordBody, response: { 200: MessageResponse, ...authErrorResponses } },
    },
    async (request) => {
      const revoked = await app.services.auth.changePassword(requestContext(request), principalOf(request), {
        currentPassword: request.body.current_password,
        newPassword: request.body.new_password,
      });
      return { message: `Password changed; ${revoked} other session(s) signed out` };
    },
  );

  app.get(
    '/api/auth/sessions',
    {
      preValidation: app.authenticate,
      schema: {
        tags,
        summary: 'Your signed-in sessions (devices).',
        security: [{ bearer: [] }],
        response: { 200: SessionList, ...authErrorResponses },
      },
    },
    async (request) => {
      const sessions = await app.services.auth.listSessions(principalOf(request));
      return {
        sessions: sessions.map((s) => ({
          id: s.id,
          created_at: s.createdAt,
          last_used_at: s.lastUsedAt,
          expires_at: s.expiresAt,
          ip_address: s.ipAddress,
          user_agent: s.userAgent,
          current: s.current,
        })),
      };
    },
  );

  app.delete<{ Params: SessionParams }>(
    '/api/auth/sessions/:id',
    {
      preValidation: app.authenticate,
      schema: {
        tags,
        summary: 'Sign out one of your sessions.',
        security: [{ bearer: [] }],
        params: SessionParams,
        response: { 200: MessageResponse, ...authErrorResponses },
      },
    },
    async (request) => {
      await app.services.auth.revokeSession(requestContext(request), principalOf(request), request.params.id);
      return { message: 'Session signed out' };
    },
  );

  app.post<{ Body: ResetPasswordBody }>(
    '/api/auth/reset-password',
    {
      bodyLimit: AUTH_BODY_LIMIT,
      schema: {
        tags,
        summary: 'Set a new password with a single-use token an admin issued.',
        body: ResetPasswordBody,
        response: { 200: MessageResponse, ...authErrorResponses },
      },
    },
    async (request) => {
      await app.services.auth.redeemResetToken(requestContext(request), request.body.token, request.body.new_password);
      return { message: 'Password changed; sign in with the new password' };
    },
  );

  app.post<{ Body: RegisterBody }>(
    '/api/auth/register',
    {
      bodyLimit: AUTH_BODY_LIMIT,
      schema: {
        tags,
        summary: 'Self-registration; off unless BALUHOST_REGISTRATION_ENABLED. The role is always `user`.',
        body: RegisterBody,
        response: { 201: UserDto, ...authErrorResponses },
      },
    },
    async (request, reply) => {
      app.services.users.validateRegistration(app.config.auth.registrationEnabled);
      const b = request.body;
      const user = await app.services.users.create(requestContext(request), null, {
        username: b.username,
        email: b.email ?? '',
        password: b.password,
        role: 'user',
      });
      return reply.status(201).send(toUserDto(user));
    },
  );
}
