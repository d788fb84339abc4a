import { PassThrough } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parseStoragePath } from '../lib/path-safety.js';
import { principalOf, requestContext, signedBodyMatches } from '../plugins/auth.js';
import { authErrorResponses, ErrorResponse, MessageResponse } from '../schemas/common.js';
import {
  ActiveUploads,
  AvailableResponse,
  CreateFolderBody,
  ListQuery,
  ListResponse,
  MountpointsResponse,
  MoveBody,
  OwnerQuery,
  PermissionsBody,
  PermissionsQuery,
  PermissionsResponse,
  RenameBody,
  UploadIdParams,
  UploadResponse,
  WildcardPath,
} from '../schemas/files.js';
import { NotFoundError, ValidationError } from '../errors/index.js';
import type { UploadProgress } from '../services/upload-progress.js';
import type { UploadPart } from '../services/index.js';
import { sendStoredFile } from './file-responses.js';

/** @fastify/multipart parts → the service's library-free parts. */
async function* uploadParts(request: FastifyRequest): AsyncIterable<UploadPart> {
  for await (const part of request.parts()) {
    if (part.type === 'file') yield { kind: 'file', field: part.fieldname, filename: part.filename, stream: part.file };
    else yield { kind: 'field', name: part.fieldname, value: String(part.value) };
  }
}

export async function filesRoutes(app: FastifyInstance) {
  const tags = ['files'];
  const security = [{ bearer: [] }];
  const { files, uploads, filePermissions, audit, system } = app.services;

  app.get<{ Querystring: ListQuery }>(
    '/api/files/list',
    {
      preValidation: app.authenticate,
      schema: { tags, security, querystring: ListQuery, response: { 200: ListResponse, ...authErrorResponses } },
    },
    async (request) => ({
      files: await files.list(principalOf(request), request.query.owner_id, parseStoragePath(request.query.path ?? '')),
    }),
  );

  app.get<{ Params: WildcardPath; Querystring: OwnerQuery }>(
    '/api/files/download/*',
    { preValidation: app.authenticate, schema: { tags, security, params: WildcardPath, querystring: OwnerQuery } },
    async (request, reply) => {
      const principal = principalOf(request);
      const located = await files.download(principal, request.query.owner_id, parseStoragePath(request.params['*'], ['path', 'path']));
      const { sent } = await sendStoredFile(app, request, reply, located);
      if (sent) {
        await audit.recordBy(requestContext(request), principal, {
          eventType: 'file',
          action: 'download',
          resource: located.segments.join('/'),
          success: true,
          details: { file_id: located.node.id, owner_id: located.owner.id, range: sent },
        });
      }
      return reply;
    },
  );

  app.post<{ Querystring: OwnerQuery }>(
    '/api/files/upload',
    {
      preValidation: app.authenticate,
      schema: {
        tags,
        security,
        summary: 'multipart/form-data: field `path` (target folder) and one or more `files` (or `file`).',
        querystring: OwnerQuery,
        response: { 200: UploadResponse, 413: ErrorResponse, 507: ErrorResponse, ...authErrorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      if (!request.isMultipart()) {
        throw ValidationError.field(['body'], 'must be multipart/form-data', 'content_type');
      }
      const declared = Number(request.headers['content-length']);
      const { files: stored, uploadIds } = await uploads.upload(principal, uploadParts(request), {
        ownerId: request.query.owner_id,
        declaredLength: Number.isFinite(declared) ? declared : undefined,
        beforeStoring: () => signedBodyMatches(request),
      });
      app.metrics.uploadBytes.inc(stored.reduce((n, f) => n + f.sizeBytes, 0));
      await audit.recordBy(requestContext(request), principal, {
        eventType: 'file',
        action: 'upload',
        resource: stored
          .map((f) => f.name)
          .join(', ')
          .slice(0, 500),
        success: true,
        details: { file_ids: stored.map((f) => f.id), bytes: stored.reduce((n, f) => n + f.sizeBytes, 0) },
      });
      return {
        message: `Uploaded ${stored.length} file(s)`,
        uploaded: stored.length,
        upload_ids: uploadIds,
        file_ids: stored.map((f) => f.id),
      };
    },
  );

  app.get(
    '/api/files/progress',
    {
      preValidation: app.authenticate,
      schema: {
        tags,
        security,
        summary: "The caller's uploads still streaming into this server.",
        response: { 200: ActiveUploads, ...authErrorResponses },
      },
    },
    async (request) => ({ uploads: app.services.uploadProgress.active(principalOf(request).user.id) }),
  );

  app.get<{ Params: UploadIdParams }>(
    '/api/files/progress/:upload_id',
    {
      schema: {
        tags,
        summary:
          'Server-sent events (`event: progress`) with the bytes received of one file of an upload, until it completes or fails. ' +
          "No token: the web client's EventSource cannot send one; the id (128 random bits, from `upload_ids`) is the key.",
        params: UploadIdParams,
        response: { 404: ErrorResponse },
      },
    },
    async (request, reply) => {
      const registry = app.services.uploadProgress;
      const first = registry.get(request.params.upload_id);
      if (!first) throw new NotFoundError('Upload session not found (unknown, or finished more than ten minutes ago)', 'upload_not_found');
      // A stream through Fastify's own reply: the security headers and the request's log line as for any answer.
      const events = new PassThrough();
      const send = (p: UploadProgress) => events.write(`event: progress\ndata: ${JSON.stringify(p)}\n\n`);
      send(first);
      if (first.status !== 'uploading') events.end();
      else {
        // No await since `get`: the registry cannot have finished the upload in between.
        const unsubscribe = registry.subscribe(first.upload_id, (p) => {
          send(p);
          if (p.status !== 'uploading') {
            unsubscribe();
            events.end();
          }
        });
        request.raw.on('close', unsubscribe);
      }
      return reply
        .header('content-type', 'text/event-stream; charset=utf-8')
        .header('cache-control', 'no-cache, no-transform')
        .header('x-accel-buffering', 'no')
        .send(events);
    },
  );

  app.post<{ Body: CreateFolderBody; Querystring: OwnerQuery }>(
    '/api/files/folder',
    {
      preValidation: app.authenticate,
      schema: {
        tags,
        security,
        querystring: OwnerQuery,
        body: CreateFolderBody,
        response: { 200: MessageResponse, ...authErrorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const created = await files.createFolder(
        principal,
        request.query.owner_id,
        parseStoragePath(request.body.path, ['body', 'path']),
        request.body.name,
      );
      await audit.recordBy(requestContext(request), principal, {
        eventType: 'file',
        action: 'create_folder',
        resource: created.segments.join('/'),
        success: true,
      });
      return { message: `Folder created: ${created.segments.join('/')}` };
    },
  );

  app.put<{ Body: RenameBody; Querystring: OwnerQuery }>(
    '/api/files/rename',
    {
      preValidation: app.authenticate,
      schema: { tags, security, querystring: OwnerQuery, body: RenameBody, response: { 200: MessageResponse, ...authErrorResponses } },
    },
    async (request) => {
      const principal = principalOf(request);
      const from = parseStoragePath(request.body.old_path, ['body', 'old_path']);
      const renamed = await files.rename(principal, request.query.owner_id, from, request.body.new_name);
      await audit.recordBy(requestContext(request), principal, {
        eventType: 'file',
        action: 'rename',
        resource: from.join('/'),
        success: true,
        details: { new_path: renamed.segments.join('/') },
      });
      return { message: `Renamed to ${renamed.segments.join('/')}` };
    },
  );

  app.put<{ Body: MoveBody; Querystring: OwnerQuery }>(
    '/api/files/move',
    {
      preValidation: app.authenticate,
      schema: { tags, security, querystring: OwnerQuery, body: MoveBody, response: { 200: MessageResponse, ...authErrorResponses } },
    },
    async (request) => {
      const principal = principalOf(request);
      const source = parseStoragePath(request.body.source_path, ['body', 'source_path']);
      const target = parseStoragePath(request.body.target_path, ['body', 'target_path']);
      await files.move(principal, request.query.owner_id, source, target);
      await audit.recordBy(requestContext(request), principal, {
        eventType: 'file',
        action: 'move',
        resource: source.join('/'),
        success: true,
        details: { target_path: target.join('/') },
      });
      return { message: `Moved ${source.join('/')} to ${target.join('/') || 'home'}` };
    },
  );

  app.delete<{ Params: WildcardPath; Querystring: OwnerQuery }>(
    '/api/files/*',
    {
      preValidation: app.authenticate,
      schema: { tags, security, params: WildcardPath, querystring: OwnerQuery, response: { 200: MessageResponse, ...authErrorResponses } },
    },
    async (request) => {
      const principal = principalOf(request);
      const removed = await files.remove(principal, request.query.owner_id, parseStoragePath(request.params['*'], ['path', 'path']));
      await audit.recordBy(requestContext(request), principal, {
        eventType: 'file',
        action: 'delete',
        resource: removed.segments.join('/'),
        success: true,
        details: { bytes_freed: removed.bytes, owner_id: removed.owner.id },
      });
      return { message: `Deleted ${removed.segments.join('/')}` };
    },
  );

  app.get(
    '/api/files/storage/available',
    { preValidation: app.authenticate, schema: { tags, security, response: { 200: AvailableResponse, ...authErrorResponses } } },
    async (request) => files.available(principalOf(request)),
  );

  app.get(
    '/api/files/mountpoints',
    { preValidation: app.authenticate, schema: { tags, security, response: { 200: MountpointsResponse, ...authErrorResponses } } },
    async () => system.mountpoints(),
  );

  app.get<{ Querystring: PermissionsQuery & OwnerQuery }>(
    '/api/files/permissions',
    {
      preValidation: app.authenticate,
      schema: {
        tags,
        security,
        querystring: { ...PermissionsQuery, properties: { ...PermissionsQuery.properties, ...OwnerQuery.properties } },
        response: { 200: PermissionsResponse, ...authErrorResponses },
      },
    },
    async (request) => filePermissions.get(principalOf(request), request.query.owner_id, parseStoragePath(request.query.path)),
  );

  app.put<{ Body: PermissionsBody }>(
    '/api/files/permissions',
    {
      preValidation: app.authenticate,
      schema: { tags, security, body: PermissionsBody, response: { 200: PermissionsResponse, ...authErrorResponses } },
    },
    async (request) => {
      const principal = principalOf(request);
      const segments = parseStoragePath(request.body.path, ['body', 'path']);
      const result = await filePermissions.replace(principal, request.body.owner_id, segments, request.body.rules);
      await audit.recordBy(requestContext(request), principal, {
        eventType: 'share',
        action: 'set_permissions',
        resource: segments.join('/'),
        success: true,
        details: { rules: request.body.rules.length },
      });
      return result;
    },
  );
}
