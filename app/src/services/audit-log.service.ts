import type { AuditFilter, AuditRecord, Clock, Repositories } from '../repositories/index.js';
import type { Principal } from './auth.service.js';

export interface AuditQuery {
  page: number;
  pageSize: number;
  eventType?: string;
  user?: string;
  action?: string;
  success?: boolean;
  days?: number;
}

/** Reading the audit log: users see their own entries, admins everyone's. */
/** The audit log's event type for everything done to files and folders. */
export const FILE_EVENTS = 'file';

export function createAuditLogService(deps: { repos: Repositories; clock: Clock; devMode: boolean }) {
  const since = (days: number | undefined) => (days === undefined ? undefined : new Date(deps.clock.now().getTime() - days * 86_400_000));

  return {
    async list(
      principal: Principal,
      q: AuditQuery,
    ): Promise<{ logs: AuditRecord[]; total: number; page: number; pageSize: number; totalPages: number }> {
      const filter: AuditFilter = { eventType: q.eventType, action: q.action, success: q.success, since: since(q.days) };
      if (principal.user.role === 'admin') filter.username = q.user;
      else filter.userId = principal.user.id;
      const { rows, total } = await deps.repos.audit.page(filter, q.page, q.pageSize);
      return { logs: rows, total, page: q.page, pageSize: q.pageSize, totalPages: Math.ceil(total / q.pageSize) };
    },

    /**
     * Counts over the last `days`: every event (ours), and file events alone in the shape the web
     * client's logging page reads (`file_access`, success rate as a fraction, as the original's).
     */
    async stats(days: number) {
      const filter = { since: since(days) };
      const fileFilter = { ...filter, eventType: FILE_EVENTS };
      const [byAction, byUser, byType, fileByAction, fileByUser] = await Promise.all([
        deps.repos.audit.countsBy('action', filter),
        deps.repos.audit.countsBy('username', filter),
        deps.repos.audit.countsBy('event_type', filter),
        deps.repos.audit.countsBy('action', fileFilter),
        deps.repos.audit.countsBy('username', fileFilter),
      ]);
      const total = byAction.reduce((n, r) => n + r.total, 0);
      const succeeded = byAction.reduce((n, r) => n + r.succeeded, 0);
      const fileTotal = fileByAction.reduce((n, r) => n + r.total, 0);
      const fileSucceeded = fileByAction.reduce((n, r) => n + r.succeeded, 0);
      const toMap = (rows: typeof byAction) => Object.fromEntries(rows.map((r) => [r.key ?? '(anonymous)', r.total]));
      return {
        days,
        period_days: days,
        dev_mode: deps.devMode,
        total,
        success_rate: total ? Math.round((succeeded / total) * 1000) / 10 : null,
        failed: total - succeeded,
        by_action: toMap(byAction),
        by_user: toMap(byUser),
        by_event_type: toMap(byType),
        file_access: {
          total_operations: fileTotal,
          by_action: toMap(fileByAction),
          by_user: toMap(fileByUser),
          success_rate: fileTotal ? Math.round((fileSucceeded / fileTotal) * 1000) / 1000 : 1,
        },
      };
    },
  };
}

export type AuditLogService = ReturnType<typeof createAuditLogService>;
