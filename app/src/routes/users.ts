import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { PayloadTooLargeError, ValidationError } from '../errors/index.js';
import { principalOf, requestContext, signedBodyMatches } from '../plugins/auth.js';
import { AVATAR_MAX_BYTES } from '../services/users.service.js';
import { authErrorResponses, ErrorResponse } from '../schemas/common.js';
import {
  BulkDeleteBody,
  BulkDeleteResponse,
  CreateUserBody,
  ProfileBody,
  toUserDto,
  UpdateUserBody,
  UserDto,
  UserIdParams,
  UserListQuery,
  UserListResponse,
} from '../schemas/users.js';

/** The one file of a multipart body, in field `avatar`, read whole (it is small), or the error saying what is wrong. */
async function avatarBytes(request: FastifyRequest): Promise<Buffer> {
  if (!request.isMultipart())
    throw ValidationError.field(['body'], 'must be multipart/form-data with the picture in field "avatar"', 'content_type');
  let bytes: Buffer | undefined;
  for await (const part of request.parts({ limits: { files: 1, fileSize: AVATAR_MAX_BYTES + 1 } })) {
    if (part.type !== 'file') continue;
    if (part.fieldname !== 'avatar') {
      part.file.resume();
      throw ValidationError.field(['body', part.fieldname], 'unknown field; send the picture as "avatar"');
    }
    bytes = await part.toBuffer().catch((err: unknown) => {
      if ((err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE')
        throw new PayloadTooLargeError(`A profile picture may be at most ${AVATAR_MAX_BYTES} bytes`, 'avatar_too_large');
      throw err;
    });
  }
  if (!bytes) throw ValidationError.field(['body', 'avatar'], 'is required');
  await signedBodyMatches(request);
  return bytes;
}

export async function usersRoutes(app: FastifyInstance) {
  const tags = ['users'];
  const security = [{ bearer: [] }];
  const errors = { ...authErrorResponses, 403: ErrorResponse };
  const { users } = app.services;

  app.get<{ Querystring: UserListQuery }>(
    '/api/users/',
    {
      preValidation: app.authenticate,
      schema: { tags, security, querystring: UserListQuery, response: { 200: UserListResponse, ...errors } },
    },
    async (request) => {
      const q = request.query;
      const result = await users.list(principalOf(request), {
        search: q.search,
        role: q.role,
        isActive: q.is_active,
        sortBy: q.sort_by,
        sortOrder: q.sort_order,
      });
      return { ...result, users: result.users.map(toUserDto) };
    },
  );

  app.post<{ Body: CreateUserBody }>(
    '/api/users/',
    {
      preValidation: app.requireAdmin,
      schema: { tags, security, body: CreateUserBody, response: { 201: UserDto, ...errors, 409: ErrorResponse } },
    },
    async (request, reply) => {
      const b = request.body;
      const user = await users.create(requestContext(request), principalOf(request), {
        username: b.username,
        email: b.email ?? '',
        password: b.password,
        role: b.role ?? 'user',
      });
      return reply.status(201).send(toUserDto(user));
    },
  );

  app.put<{ Params: UserIdParams; Body: UpdateUserBody }>(
    '/api/users/:id',
    {
      preValidation: app.requireAdmin,
      schema: {
        tags,
        security,
        params: UserIdParams,
        body: UpdateUserBody,
        response: { 200: UserDto, ...errors, 404: ErrorResponse, 409: ErrorResponse },
      },
    },
    async (request) => {
      return toUserDto(await users.update(requestContext(request), principalOf(request), request.params.id, request.body));
    },
  );

  app.delete<{ Params: UserIdParams }>(
    '/api/users/:id',
    {
      preValidation: app.requireFreshAdmin,
      schema: { tags, security, params: UserIdParams, response: { ...errors, 404: ErrorResponse, 409: ErrorResponse } },
    },
    async (request, reply) => {
      await users.remove(requestContext(request), principalOf(request), request.params.id);
      return reply.status(204).send();
    },
  );

  app.post<{ Body: BulkDeleteBody }>(
    '/api/users/bulk-delete',
    {
      preValidation: app.requireFreshAdmin,
      schema: { tags, security, body: BulkDeleteBody, response: { 200: BulkDeleteResponse, ...errors } },
    },
    async (request) => users.bulkRemove(requestContext(request), principalOf(request), request.body),
  );

  app.patch<{ Params: UserIdParams; Body: ProfileBody }>(
    '/api/users/:id',
    {
      preValidation: app.authenticate,
      schema: { tags, security, params: UserIdParams, body: ProfileBody, response: { 200: UserDto, ...errors, 404: ErrorResponse } },
    },
    async (request) => toUserDto(await users.updateProfile(requestContext(request), principalOf(request), request.params.id, request.body)),
  );

  app.post<{ Params: UserIdParams }>(
    '/api/users/:id/avatar',
    {
      preValidation: app.authenticate,
      schema: {
        tags,
        security,
        summary: `multipart/form-data, the picture in field \`avatar\`: PNG, JPEG, GIF or WebP by content, at most ${AVATAR_MAX_BYTES} bytes.`,
        params: UserIdParams,
        response: { 200: UserDto, ...errors, 404: ErrorResponse, 413: ErrorResponse },
      },
    },
    async (request) => {
      const bytes = await avatarBytes(request);
      return toUserDto(await users.setAvatar(requestContext(request), principalOf(request), request.params.id, bytes));
    },
  );

  app.get<{ Params: { key: string } }>(
    '/api/avatars/:key',
    {
      schema: {
        tags,
        summary: 'A profile picture by the unguessable name in `avatar_url`: a browser <img> sends no token.',
        params: Type.Object(
          { key: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }) },
          { additionalProperties: false },
        ),
      },
    },
    async (request, reply) => {
      const avatar = await users.avatar(request.params.key);
      return (
        reply
          .header('content-type', avatar.contentType)
          .header('content-length', avatar.bytes.length)
          // The name changes with every new picture, so a browser may keep this one.
          .header('cache-control', 'private, max-age=604800, immutable')
          .send(avatar.bytes)
      );
    },
  );

  app.patch<{ Params: UserIdParams }>(
    '/api/users/:id/toggle-active',
    {
      preValidation: app.requireAdmin,
      schema: { tags, security, params: UserIdParams, response: { 200: UserDto, ...errors, 404: ErrorResponse, 409: ErrorResponse } },
    },
    async (request) => toUserDto(await users.toggleActive(requestContext(request), principalOf(request), request.params.id)),
  );
}
