import type { FastifyInstance } from 'fastify';
import { principalOf, requestContext } from '../plugins/auth.js';
import { authErrorResponses, ErrorResponse } from '../schemas/common.js';
import {
  BulkDeleteBody,
  BulkDeleteResponse,
  CreateUserBody,
  toUserDto,
  UpdateUserBody,
  UserDto,
  UserIdParams,
  UserListQuery,
  UserListResponse,
} from '../schemas/users.js';

export async function usersRoutes(app: FastifyInstance) {
  const tags = ['users'];
  const security = [{ bearer: [] }];
  const errors = { ...authErrorResponses, 403: ErrorResponse };
  const { users } = app.services;

  app.get<{ Querystring: UserListQuery }>(
    '/api/users/',
    {
      preValidation: app.requireAdmin,
      schema: { tags, security, querystring: UserListQuery, response: { 200: UserListResponse, ...errors } },
    },
    async (request) => {
      const q = request.query;
      const result = await users.list({
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

  app.patch<{ Params: UserIdParams }>(
    '/api/users/:id/toggle-active',
    {
      preValidation: app.requireAdmin,
      schema: { tags, security, params: UserIdParams, response: { 200: UserDto, ...errors, 404: ErrorResponse, 409: ErrorResponse } },
    },
    async (request) => toUserDto(await users.toggleActive(requestContext(request), principalOf(request), request.params.id)),
  );
}
