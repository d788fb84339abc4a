import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ServiceUnavailableError } from '../errors/index.js';
import { ErrorResponse } from '../schemas/common.js';

const CheckResult = Type.Object({ ok: Type.Boolean(), reason: Type.Optional(Type.String()) });

export async function healthRoutes(app: FastifyInstance) {
  app.get(
    '/api/health',
    {
      schema: {
        tags: ['operations'],
        summary: 'Liveness: the process answers. No database call, never authenticated.',
        response: { 200: Type.Object({ status: Type.Literal('ok'), version: Type.String() }) },
      },
    },
    async () => ({ status: 'ok' as const, version: app.config.version }),
  );

  app.get(
    '/api/ready',
    {
      schema: {
        tags: ['operations'],
        summary: 'Readiness: database reachable and migrated, storage writable. 503 names the failing checks.',
        response: {
          200: Type.Object({ status: Type.Literal('ready'), checks: Type.Record(Type.String(), CheckResult) }),
          503: Type.Intersect([ErrorResponse, Type.Object({ checks: Type.Record(Type.String(), CheckResult) })]),
        },
      },
    },
    async () => {
      const report = await app.services.readiness.check();
      if (!report.ready) {
        const failing = Object.entries(report.checks)
          .filter(([, r]) => !r.ok)
          .map(([name]) => name);
        throw new ServiceUnavailableError(`Not ready: ${failing.join(', ')}`, 'not_ready', 5, report.checks);
      }
      return { status: 'ready' as const, checks: report.checks };
    },
  );
}
