import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { principalOf } from '../plugins/auth.js';
import { authErrorResponses, ErrorResponse } from '../schemas/common.js';

const AuditQuery = Type.Object(
  {
    page: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1 }),
    page_size: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
    event_type: Type.Optional(Type.String({ maxLength: 64 })),
    user: Type.Optional(Type.String({ maxLength: 64 })),
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

const StatsQuery = Type.Object({ days: Type.Integer({ minimum: 1, maximum: 3650, default: 7 }) }, { additionalProperties: false });
type StatsQuery = Static<typeof StatsQuery>;

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
        pageSize: q.page_size,
        eventType: q.event_type,
        user: q.user,
        action: q.action,
        success: q.success,
        days: q.days,
      });
      return {
        logs: result.logs.map((l) => ({
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
        })),
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
}
