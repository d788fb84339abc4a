import type { FastifyInstance } from 'fastify';
import { formatStoragePath } from '../lib/path-safety.js';
import { principalOf, requestContext } from '../plugins/auth.js';
import { authErrorResponses, ErrorResponse } from '../schemas/common.js';
import {
  AccessBody,
  CreateLinkBody,
  CreateUserShareBody,
  FileIdParams,
  IdParams,
  PublicFileInfo,
  PublicLinkInfo,
  SharedWithMeDto,
  ShareStatistics,
  ShareLinkDto,
  TokenParams,
  UpdateLinkBody,
  UpdateUserShareBody,
  UserShareDto,
} from '../schemas/shares.js';
import type { ShareLinkView, UserShareView } from '../services/index.js';
import { sendStoredFile } from './file-responses.js';

function linkDto({ link, token, located, isExpired, isAccessible }: ShareLinkView) {
  return {
    id: link.id,
    token,
    file_id: link.fileId,
    owner_id: link.ownerId,
    has_password: link.passwordHash !== null,
    allow_download: link.allowDownload,
    allow_preview: link.allowPreview,
    max_downloads: link.maxDownloads,
    download_count: link.downloadCount,
    expires_at: link.expiresAt,
    description: link.description,
    created_at: link.createdAt,
    last_accessed_at: link.lastAccessedAt,
    is_expired: isExpired,
    is_accessible: isAccessible,
    file_name: located.node.name,
    file_path: formatStoragePath(located.segments),
    file_size: located.node.sizeBytes,
  };
}

function userShareDto({ share, located, ownerUsername, sharedWithUsername, isExpired, isAccessible }: UserShareView) {
  return {
    id: share.id,
    file_id: share.fileId,
    owner_id: share.ownerId,
    owner_username: ownerUsername,
    shared_with_user_id: share.sharedWithUserId,
    shared_with_username: sharedWithUsername,
    can_read: share.canRead,
    can_write: share.canWrite,
    can_delete: share.canDelete,
    can_share: share.canShare,
    expires_at: share.expiresAt,
    created_at: share.createdAt,
    file_name: located.node.name,
    file_path: formatStoragePath(located.segments),
    file_size: located.node.sizeBytes,
    is_directory: located.node.isDirectory,
    last_accessed_at: null,
    is_expired: isExpired,
    is_accessible: isAccessible,
  };
}

export async function sharesRoutes(app: FastifyInstance) {
  const tags = ['shares'];
  const security = [{ bearer: [] }];
  const errors = { ...authErrorResponses, 403: ErrorResponse, 404: ErrorResponse };
  const { shares } = app.services;

  app.post<{ Body: CreateLinkBody }>(
    '/api/shares/links',
    { preValidation: app.authenticate, schema: { tags, security, body: CreateLinkBody, response: { 201: ShareLinkDto, ...errors } } },
    async (request, reply) => {
      const b = request.body;
      const view = await shares.createLink(requestContext(request), principalOf(request), {
        fileId: b.file_id,
        password: b.password,
        allowDownload: b.allow_download ?? true,
        allowPreview: b.allow_preview ?? true,
        maxDownloads: b.max_downloads,
        expiresAt: b.expires_at,
        description: b.description,
      });
      return reply.status(201).send(linkDto(view));
    },
  );

  app.get(
    '/api/shares/links',
    { preValidation: app.authenticate, schema: { tags, security, response: { 200: { type: 'array', items: ShareLinkDto }, ...errors } } },
    async (request) => (await shares.listLinks(principalOf(request))).map(linkDto),
  );

  app.get<{ Params: IdParams }>(
    '/api/shares/links/:id',
    { preValidation: app.authenticate, schema: { tags, security, params: IdParams, response: { 200: ShareLinkDto, ...errors } } },
    async (request) => linkDto(await shares.getLink(principalOf(request), request.params.id)),
  );

  app.patch<{ Params: IdParams; Body: UpdateLinkBody }>(
    '/api/shares/links/:id',
    {
      preValidation: app.authenticate,
      schema: { tags, security, params: IdParams, body: UpdateLinkBody, response: { 200: ShareLinkDto, ...errors } },
    },
    async (request) => {
      const b = request.body;
      const view = await shares.updateLink(principalOf(request), request.params.id, {
        password: b.password,
        allowDownload: b.allow_download,
        allowPreview: b.allow_preview,
        maxDownloads: b.max_downloads,
        expiresAt: b.expires_at,
        description: b.description,
      });
      return linkDto(view);
    },
  );

  app.delete<{ Params: IdParams }>(
    '/api/shares/links/:id',
    { preValidation: app.authenticate, schema: { tags, security, params: IdParams, response: errors } },
    async (request, reply) => {
      await shares.deleteLink(principalOf(request), request.params.id);
      return reply.status(204).send();
    },
  );

  app.post<{ Params: TokenParams; Body: AccessBody }>(
    '/api/shares/public/:token/access',
    {
      schema: {
        tags,
        params: TokenParams,
        body: AccessBody,
        response: { 200: PublicFileInfo, 403: ErrorResponse, 404: ErrorResponse, 410: ErrorResponse },
      },
    },
    async (request) => {
      const { link, located } = await shares.accessLink(requestContext(request), request.params.token, request.body?.password ?? undefined);
      return {
        file_id: located.node.id,
        file_name: located.node.name,
        file_path: located.node.name,
        is_directory: located.node.isDirectory,
        file_size: located.node.sizeBytes,
        mime_type: located.node.mimeType,
        type: located.node.isDirectory ? ('directory' as const) : ('file' as const),
        allow_download: link.allowDownload,
        allow_preview: link.allowPreview,
        description: link.description,
        expires_at: link.expiresAt,
        modified_at: located.node.modifiedAt,
      };
    },
  );

  app.get<{ Params: TokenParams }>(
    '/api/shares/public/:token/download',
    { schema: { tags, params: TokenParams, response: { 403: ErrorResponse, 404: ErrorResponse, 410: ErrorResponse } } },
    async (request, reply) => {
      const header = request.headers['x-share-password'];
      const password = typeof header === 'string' ? header : undefined;
      // HEAD (which Fastify answers with this handler) only looks; every GET counts as one download,
      // so partial requests are not offered here.
      const view =
        request.method === 'HEAD'
          ? await shares.peekDownload(requestContext(request), request.params.token, password)
          : await shares.claimDownload(requestContext(request), request.params.token, password);
      await sendStoredFile(app, request, reply, view.located, { allowRange: false });
      return reply;
    },
  );

  app.post<{ Body: CreateUserShareBody }>(
    '/api/shares/user-shares',
    {
      preValidation: app.authenticate,
      schema: { tags, security, body: CreateUserShareBody, response: { 201: UserShareDto, ...errors, 409: ErrorResponse } },
    },
    async (request, reply) => {
      const b = request.body;
      const view = await shares.createUserShare(requestContext(request), principalOf(request), {
        fileId: b.file_id,
        sharedWithUserId: b.shared_with_user_id,
        canRead: b.can_read ?? true,
        canWrite: b.can_write ?? false,
        canDelete: b.can_delete ?? false,
        canShare: b.can_share ?? false,
        expiresAt: b.expires_at,
      });
      return reply.status(201).send(userShareDto(view));
    },
  );

  app.get(
    '/api/shares/user-shares',
    { preValidation: app.authenticate, schema: { tags, security, response: { 200: { type: 'array', items: UserShareDto }, ...errors } } },
    async (request) => (await shares.listUserShares(principalOf(request))).map(userShareDto),
  );

  app.patch<{ Params: IdParams; Body: UpdateUserShareBody }>(
    '/api/shares/user-shares/:id',
    {
      preValidation: app.authenticate,
      schema: { tags, security, params: IdParams, body: UpdateUserShareBody, response: { 200: UserShareDto, ...errors } },
    },
    async (request) => {
      const b = request.body;
      const view = await shares.updateUserShare(principalOf(request), request.params.id, {
        canRead: b.can_read,
        canWrite: b.can_write,
        canDelete: b.can_delete,
        canShare: b.can_share,
        expiresAt: b.expires_at,
      });
      return userShareDto(view);
    },
  );

  app.delete<{ Params: IdParams }>(
    '/api/shares/user-shares/:id',
    { preValidation: app.authenticate, schema: { tags, security, params: IdParams, response: errors } },
    async (request, reply) => {
      await shares.deleteUserShare(principalOf(request), request.params.id);
      return reply.status(204).send();
    },
  );

  app.get(
    '/api/shares/shared-with-me',
    {
      preValidation: app.authenticate,
      schema: { tags, security, response: { 200: { type: 'array', items: SharedWithMeDto }, ...errors } },
    },
    async (request) =>
      (await shares.sharedWithMe(principalOf(request))).map((v) => ({
        ...userShareDto(v),
        share_id: v.share.id,
        shared_at: v.share.createdAt,
      })),
  );

  app.get<{ Params: FileIdParams }>(
    '/api/shares/user-shares/file/:file_id',
    {
      preValidation: app.authenticate,
      schema: { tags, security, params: FileIdParams, response: { 200: { type: 'array', items: UserShareDto }, ...errors } },
    },
    async (request) => (await shares.userSharesForFile(principalOf(request), request.params.file_id)).map(userShareDto),
  );

  app.get(
    '/api/shares/statistics',
    { preValidation: app.authenticate, schema: { tags, security, response: { 200: ShareStatistics, ...errors } } },
    async (request) => shares.statistics(principalOf(request)),
  );

  app.get<{ Params: TokenParams }>(
    '/api/shares/public/:token/info',
    { schema: { tags, params: TokenParams, response: { 200: PublicLinkInfo, 404: ErrorResponse, 410: ErrorResponse } } },
    async (request) => {
      const { link, located, isExpired, isAccessible } = await shares.linkInfo(request.params.token);
      return {
        has_password: link.passwordHash !== null,
        is_accessible: isAccessible,
        is_expired: isExpired,
        file_name: located.node.name,
        file_size: located.node.sizeBytes,
        is_directory: located.node.isDirectory,
        description: link.description,
        expires_at: link.expiresAt,
        allow_preview: link.allowPreview,
      };
    },
  );
}
