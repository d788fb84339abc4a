import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { principalOf } from '../plugins/auth.js';
import type { AuditRecord } from '../repositories/index.js';
import { authErrorResponses, ErrorResponse } from '../schemas/common.js';
import { FILE_EVENTS } from '../services/audit-log.service.js';

const AuditQuery = Type.Object(
  {
    page: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1 }),
    page_size: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 500, description: "The web client's name for page_size (wins when both are sent)." }),
    ),
    event_type: Type.Optional(Type.String({ maxLength: 64 })),
    user: Type.Optional(Type.String({ maxLength: 64 })),
    user_filter: Type.Optional(Type.String({ maxLength: 64, description: "The web client's name for user (admins only filter by user)." })),
    action: Type.Optional(Type.String({ maxLength: 64 })),
    success: Type.Optional(Type.Boolean()),
    days: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
  },
  { additionalProperties: false },
);
type AuditQuery = Static<typeof AuditQuery>;

const AuditEntry = Type.Object({
  id: Type.Integer(),
  timestamp: Type.String(),
  event_type: Type.String(),
  user: Type.Union([Type.String(), Type.Null()]),
  action: Type.String(),
  resource: Type.Union([Type.String(), Type.Null()]),
  success: Type.Boolean(),
  error_message: Type.Union([Type.String(), Type.Null()]),
  details: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
  ip_address: Type.Union([Type.String(), Type.Null()]),
  user_agent: Type.Union([Type.String(), Type.Null()]),
});

/** The web client's file-access row: the audit entry's fields it reads, the error under its own name. */
const FileAccessEntry = Type.Composite([
  Type.Pick(AuditEntry, ['timestamp', 'event_type', 'user', 'action', 'resource', 'success', 'details']),
  Type.Object({ error: Type.Union([Type.String(), Type.Null()]) }),
]);

function auditEntryDto(l: AuditRecord) {
  return {
    id: l.id,
    timestamp: l.timestamp,
    event_type: l.eventType,
    user: l.username,
    action: l.action,
    resource: l.resource,
    success: l.success,
    error_message: l.errorMessage,
    details: l.details,
    ip_address: l.ipAddress,
    user_agent: l.userAgent,
  };
}

const StatsQuery = Type.Object({ days: Type.Integer({ minimum: 1, maximum: 3650, default: 7 }) }, { additionalProperties: false });
type StatsQuery = Static<typeof StatsQuery>;

const FileAccessQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
    days: Type.Integer({ minimum: 1, maximum: 3650, default: 1 }),
    action: Type.Optional(Type.String({ maxLength: 64 })),
    user: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);
type FileAccessQuery = Static<typeof FileAccessQuery>;

const DiskIoQuery = Type.Object({ hours: Type.Integer({ minimum: 1, maximum: 168, default: 24 }) }, { additionalProperties: false });
type DiskIoQuery = Static<typeof DiskIoQuery>;

const DiskIoSample = Type.Object({
  timestamp: Type.Integer(),
  readMbps: Type.Number(),
  writeMbps: Type.Number(),
  readIops: Type.Number(),
  writeIops: Type.Number(),
  avgResponseMs: Type.Union([Type.Number(), Type.Null()]),
  activeTimePercent: Type.Number(),
});

export async function loggingRoutes(app: FastifyInstance) {
  const tags = ['logging'];
  const security = [{ bearer: [] }];
  const { auditLog } = app.services;

  app.get<{ Querystring: AuditQuery }>(
    '/api/logging/audit',
    {
      preValidation: app.authenticate,
      schema: {
        tags,
        security,
        querystring: AuditQuery,
        response: {
          200: Type.Object({
            logs: Type.Array(AuditEntry),
            total: Type.Integer(),
            page: Type.Integer(),
            page_size: Type.Integer(),
            total_pages: Type.Integer(),
          }),
          ...authErrorResponses,
        },
      },
    },
    async (request) => {
      const q = request.query;
      const result = await auditLog.list(principalOf(request), {
        page: q.page,
        pageSize: q.limit ?? q.page_size,
        eventType: q.event_type,
        user: q.user ?? q.user_filter,
        action: q.action,
        success: q.success,
        days: q.days,
      });
      return {
        logs: result.logs.map(auditEntryDto),
        total: result.total,
        page: result.page,
        page_size: result.pageSize,
        total_pages: result.totalPages,
      };
    },
  );

  app.get<{ Querystring: StatsQuery }>(
    '/api/logging/stats',
    {
      preValidation: app.requireAdmin,
      schema: {
        tags,
        security,
        querystring: StatsQuery,
        response: {
          200: Type.Object({
            days: Type.Integer(),
            period_days: Type.Integer(),
            dev_mode: Type.Boolean(),
            file_access: Type.Object({
              total_operations: Type.Integer(),
              by_action: Type.Record(Type.String(), Type.Integer()),
              by_user: Type.Record(Type.String(), Type.Integer()),
              success_rate: Type.Number({ description: 'A fraction, 1 when there was nothing.' }),
            }),
            total: Type.Integer(),
            failed: Type.Integer(),
            success_rate: Type.Union([Type.Number(), Type.Null()]),
            by_action: Type.Record(Type.String(), Type.Integer()),
            by_user: Type.Record(Type.String(), Type.Integer()),
            by_event_type: Type.Record(Type.String(), Type.Integer()),
          }),
          ...authErrorResponses,
          403: ErrorResponse,
        },
      },
    },
    async (request) => auditLog.stats(request.query.days),
  );

  app.get<{ Querystring: FileAccessQuery }>(
    '/api/logging/file-access',
    {
      preValidation: app.authenticate,
      schema: {
        tags,
        security,
        querystring: FileAccessQuery,
        response: {
          200: Type.Object({
            dev_mode: Type.Boolean(),
            total: Type.Integer({ description: 'Matching events in the period; `logs` holds the newest `limit` of them.' }),
            logs: Type.Array(FileAccessEntry),
          }),
          ...authErrorResponses,
        },
      },
    },
    async (request) => {
      const q = request.query;
      // The audit log's file events, newest first: a user's own, everyone's (or one user's) for an admin.
      const { logs, total } = await auditLog.list(principalOf(request), {
        page: 1,
        pageSize: q.limit,
        eventType: FILE_EVENTS,
        action: q.action,
        user: q.user,
        days: q.days,
      });
      return {
        dev_mode: app.config.mode !== 'production',
        total,
        logs: logs.map((l) => ({ ...auditEntryDto(l), error: l.errorMessage })),
      };
    },
  );

  app.get<{ Querystring: DiskIoQuery }>(
    '/api/logging/disk-io',
    {
      preValidation: app.authenticate,
      schema: {
        tags,
        security,
        querystring: DiskIoQuery,
        response: {
          200: Type.Object({ dev_mode: Type.Boolean(), disks: Type.Record(Type.String(), Type.Array(DiskIoSample)) }),
          ...authErrorResponses,
        },
      },
    },
    async (request) => {
      const cutoff = app.services.clock.now().getTime() - request.query.hours * 3_600_000;
      const { disks } = app.services.system.diskIoHistory();
      return {
        dev_mode: app.config.mode !== 'production',
        disks: Object.fromEntries(disks.map((d) => [d.diskName, d.samples.filter((s) => s.timestamp >= cutoff)])),
      };
    },
  );
}
