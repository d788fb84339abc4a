import { join } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ValidationError } from '../errors/index.js';
import { contentDisposition } from '../lib/http-download.js';
import { principalOf, requestContext } from '../plugins/auth.js';
import type { BackupRecord } from '../repositories/index.js';
import { authErrorResponses, ErrorResponse, MessageResponse } from '../schemas/common.js';

const BackupType = Type.Union([Type.Literal('full'), Type.Literal('database_only'), Type.Literal('files_only')]);

const BackupDto = Type.Object({
  id: Type.Integer(),
  filename: Type.String(),
  size_bytes: Type.Integer(),
  size_mb: Type.Number(),
  backup_type: BackupType,
  filepath: Type.String({ description: 'Where the archive is (or will be) on the server.' }),
  status: Type.Union([Type.Literal('in_progress'), Type.Literal('completed'), Type.Literal('failed')], {
    description: "The web client's three states; `phase` tells pending from running.",
  }),
  phase: Type.Union([Type.Literal('pending'), Type.Literal('running'), Type.Literal('completed'), Type.Literal('failed')]),
  created_at: Type.String(),
  completed_at: Type.Union([Type.String(), Type.Null()]),
  creator_id: Type.Union([Type.Integer(), Type.Null()]),
  error_message: Type.Union([Type.String(), Type.Null()]),
  includes_database: Type.Boolean(),
  includes_files: Type.Boolean(),
  includes_config: Type.Boolean(),
  sha256: Type.Union([Type.String(), Type.Null()]),
});

const CreateBody = Type.Object(
  {
    backup_type: Type.Optional(BackupType),
    includes_database: Type.Optional(Type.Boolean()),
    includes_files: Type.Optional(Type.Boolean()),
    includes_config: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
type CreateBody = Static<typeof CreateBody>;

const RestoreBody = Type.Object(
  {
    backup_id: Type.Optional(Type.Integer()),
    restore_database: Type.Optional(Type.Boolean({ default: true })),
    restore_files: Type.Optional(Type.Boolean({ default: false })),
    restore_config: Type.Optional(Type.Boolean({ default: false })),
    confirm: Type.Literal(true, { description: 'Must be true: a restore replaces current data.' }),
  },
  { additionalProperties: false },
);
type RestoreBody = Static<typeof RestoreBody>;

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) }, { additionalProperties: false });
type IdParams = Static<typeof IdParams>;

const MB = 1024 * 1024;

function backupDto(b: BackupRecord, dir: string) {
  return {
    id: b.id,
    filename: b.filename,
    filepath: join(dir, b.filename),
    phase: b.status,
    size_bytes: b.sizeBytes,
    size_mb: Math.round((b.sizeBytes / MB) * 100) / 100,
    backup_type: b.backupType,
    status: b.status === 'pending' || b.status === 'running' ? ('in_progress' as const) : b.status,
    created_at: b.createdAt,
    completed_at: b.completedAt,
    creator_id: b.creatorId,
    error_message: b.errorMessage,
    includes_database: b.includesDatabase,
    includes_files: b.includesFiles,
    includes_config: b.includesConfig,
    sha256: b.sha256,
  };
}

export async function backupsRoutes(app: FastifyInstance) {
  const tags = ['backups'];
  const security = [{ bearer: [] }];
  const errors = { ...authErrorResponses, 403: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse };
  const { backups } = app.services;

  app.post<{ Body: CreateBody }>(
    '/api/backups/',
    {
      preValidation: app.requireAdmin,
      schema: {
        tags,
        security,
        summary: 'Starts a backup job; poll GET /api/backups/{id} for its status.',
        body: CreateBody,
        response: { 202: BackupDto, ...errors },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const backup = await backups.create(requestContext(request), principalOf(request), {
        backupType: b.backup_type ?? 'full',
        includesDatabase: b.includes_database,
        includesFiles: b.includes_files,
        includesConfig: b.includes_config,
      });
      return reply.status(202).send(backupDto(backup, app.config.backups.dir));
    },
  );

  app.get(
    '/api/backups/',
    {
      preValidation: app.requireAdmin,
      schema: {
        tags,
        security,
        response: {
          200: Type.Object({ backups: Type.Array(BackupDto), total_size_bytes: Type.Integer(), total_size_mb: Type.Number() }),
          ...errors,
        },
      },
    },
    async () => {
      const list = await backups.list();
      const total = list.reduce((n, b) => n + b.sizeBytes, 0);
      return {
        backups: list.map((b) => backupDto(b, app.config.backups.dir)),
        total_size_bytes: total,
        total_size_mb: Math.round((total / MB) * 100) / 100,
      };
    },
  );

  app.get<{ Params: IdParams }>(
    '/api/backups/:id',
    { preValidation: app.requireAdmin, schema: { tags, security, params: IdParams, response: { 200: BackupDto, ...errors } } },
    async (request) => backupDto(await backups.get(request.params.id), app.config.backups.dir),
  );

  app.delete<{ Params: IdParams }>(
    '/api/backups/:id',
    { preValidation: app.requireAdmin, schema: { tags, security, params: IdParams, response: { 200: MessageResponse, ...errors } } },
    async (request) => {
      await backups.remove(requestContext(request), principalOf(request), request.params.id);
      return { message: `Backup ${request.params.id} deleted` };
    },
  );

  app.post<{ Params: IdParams; Body: RestoreBody }>(
    '/api/backups/:id/restore',
    {
      preValidation: app.requireFreshAdmin,
      schema: {
        tags,
        security,
        params: IdParams,
        body: RestoreBody,
        response: {
          200: Type.Object({ success: Type.Boolean(), message: Type.String(), backup_id: Type.Integer(), restored_at: Type.String() }),
          ...errors,
        },
      },
    },
    async (request) => {
      const b = request.body;
      if (b.backup_id !== undefined && b.backup_id !== request.params.id) {
        throw ValidationError.field(['body', 'backup_id'], 'does not match the backup in the URL');
      }
      const result = await backups.restore(requestContext(request), principalOf(request), request.params.id, {
        restoreDatabase: b.restore_database ?? true,
        restoreFiles: b.restore_files ?? false,
        restoreConfig: b.restore_config ?? false,
      });
      return { success: true, message: result.message, backup_id: request.params.id, restored_at: result.restoredAt };
    },
  );

  app.get<{ Params: IdParams }>(
    '/api/backups/:id/download',
    {
      preValidation: app.requireAdmin,
      config: { tokenInQuery: true },
      schema: {
        tags,
        security,
        summary: 'The archive. The access token may also come as `?token=`: the web client downloads with a plain link.',
        params: IdParams,
        querystring: Type.Object({ token: Type.Optional(Type.String({ maxLength: 4096 })) }, { additionalProperties: false }),
        response: errors,
      },
    },
    async (request, reply) => {
      const { backup, size, stream } = await backups.openDownload(request.params.id);
      return reply
        .header('content-type', 'application/gzip')
        .header('content-length', size)
        .header('content-disposition', contentDisposition(backup.filename))
        .header('x-content-sha256', backup.sha256 ?? '')
        .send(stream);
    },
  );
}
