import type { Selectable, SelectQueryBuilder } from 'kysely';
import type { AuditLogTable, DB } from '../db/index.js';
import type { Executor } from './users.repository.js';

export interface AuditFilter {
  userId?: number;
  username?: string;
  eventType?: string;
  action?: string;
  success?: boolean;
  since?: Date;
}

export interface AuditRecord {
  id: number;
  timestamp: string;
  eventType: string;
  userId: number | null;
  username: string | null;
  action: string;
  resource: string | null;
  success: boolean;
  errorMessage: string | null;
  details: Record<string, unknown> | null;
  ipAddress: string | null;
  userAgent: string | null;
}

function toRecord(row: Selectable<AuditLogTable>): AuditRecord {
  let details: Record<string, unknown> | null = null;
  if (row.details) {
    try {
      details = JSON.parse(row.details) as Record<string, unknown>;
    } catch {
      details = { raw: row.details };
    }
  }
  return {
    id: row.id,
    timestamp: row.timestamp,
    eventType: row.event_type,
    userId: row.user_id,
    username: row.username,
    action: row.action,
    resource: row.resource,
    success: Boolean(row.success),
    errorMessage: row.error_message,
    details,
    ipAddress: row.ip_address,
    userAgent: row.user_agent,
  };
}

function filtered<O>(query: SelectQueryBuilder<DB, 'audit_log', O>, f: AuditFilter): SelectQueryBuilder<DB, 'audit_log', O> {
  let q = query;
  if (f.userId !== undefined) q = q.where('user_id', '=', f.userId);
  if (f.username !== undefined) q = q.where('username', '=', f.username);
  if (f.eventType !== undefined) q = q.where('event_type', '=', f.eventType);
  if (f.action !== undefined) q = q.where('action', '=', f.action);
  if (f.success !== undefined) q = q.where('success', '=', f.success);
  if (f.since !== undefined) q = q.where('timestamp', '>=', f.since.toISOString());
  return q;
}

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

    /** Newest first; every filter is backed by an index that starts with it or with the timestamp. */
    async page(filter: AuditFilter, page: number, pageSize: number): Promise<{ rows: AuditRecord[]; total: number }> {
      const [rows, count] = await Promise.all([
        filtered(db.selectFrom('audit_log').selectAll(), filter)
          .orderBy('timestamp', 'desc')
          .orderBy('id', 'desc')
          .limit(pageSize)
          .offset((page - 1) * pageSize)
          .execute(),
        filtered(
          db.selectFrom('audit_log').select((eb) => eb.fn.countAll<number>().as('n')),
          filter,
        ).executeTakeFirstOrThrow(),
      ]);
      return { rows: rows.map(toRecord), total: Number(count.n) };
    },

    async countsBy(
      column: 'action' | 'username' | 'event_type',
      filter: AuditFilter,
    ): Promise<{ key: string | null; total: number; succeeded: number }[]> {
      const rows = await filtered(
        db
          .selectFrom('audit_log')
          .select((eb) => [
            eb.ref(column).as('key'),
            eb.fn.countAll<number>().as('total'),
            eb.fn.sum<number>(eb.case().when('success', '=', true).then(1).else(0).end()).as('succeeded'),
          ]),
        filter,
      )
        .groupBy(column)
        .execute();
      return rows.map((r) => ({ key: r.key, total: Number(r.total), succeeded: Number(r.succeeded ?? 0) }));
    },
  };
}

export type AuditRepository = ReturnType<typeof createAuditRepository>;
