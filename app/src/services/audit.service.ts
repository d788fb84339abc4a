import type { Logger } from 'pino';
import type { AuditEntry, Clock, Repositories } from '../repositories/index.js';
import type { RequestContext } from './request-context.js';

interface Actor {
  user: { id: number; username: string };
}

export type AuditEvent = Omit<AuditEntry, 'ipAddress' | 'userAgent'>;

export function createAuditService(deps: { repos: Repositories; clock: Clock; logger: Logger }) {
  return {
    /**
     * Appends to the audit log. A failed audit write is logged and swallowed: losing the audit row is
     * bad, but refusing a logout because the audit table is locked would be worse.
     */
    async record(ctx: RequestContext, event: AuditEvent): Promise<void> {
      try {
        await deps.repos.audit.insert({ ...event, ipAddress: ctx.ip, userAgent: ctx.userAgent }, deps.clock.now());
      } catch (err) {
        deps.logger.error({ err, reqId: ctx.requestId, audit: { action: event.action, eventType: event.eventType } }, 'audit write failed');
      }
    },

    /** The same, for an event done by `actor` (a signed-in principal). */
    recordBy(ctx: RequestContext, actor: Actor, event: Omit<AuditEvent, 'userId' | 'username'>): Promise<void> {
      return this.record(ctx, { ...event, userId: actor.user.id, username: actor.user.username });
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
