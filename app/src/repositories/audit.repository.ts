import type { Executor } from './users.repository.js';

export interface AuditEntry {
  eventType: string;
  action: string;
  userId: number | null;
  username: string | null;
  resource?: string | null;
  success: boolean;
  errorMessage?: string | null;
  details?: Record<string, unknown> | null;
  ipAddress: string | null;
  userAgent: string | null;
}

export function createAuditRepository(db: Executor) {
  return {
    async insert(entry: AuditEntry, now: Date): Promise<void> {
      await db
        .insertInto('audit_log')
        .values({
          timestamp: now.toISOString(),
          event_type: entry.eventType,
          action: entry.action,
          user_id: entry.userId,
          username: entry.username,
          resource: entry.resource ?? null,
          success: entry.success,
          error_message: entry.errorMessage ?? null,
          details: entry.details ? JSON.stringify(entry.details) : null,
          ip_address: entry.ipAddress,
          user_agent: entry.userAgent,
        })
        .execute();
    },
  };
}

export type AuditRepository = ReturnType<typeof createAuditRepository>;
