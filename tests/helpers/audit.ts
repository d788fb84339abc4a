import type { TestEnv } from './test-app.js';

/** One audit log entry as `GET /api/logging/audit` returns it. */
export interface AuditEntry {
  id: number;
  event_type: string;
  user: string | null;
  action: string;
  resource: string | null;
  success: boolean;
  error_message: string | null;
  details: Record<string, unknown> | null;
}

/** The audit entries the caller may see, filtered as the endpoint filters (`action`, `user`, `event_type`), oldest first. */
export async function auditEntries(
  env: TestEnv,
  headers: Record<string, string>,
  filter: Record<string, string> = {},
): Promise<AuditEntry[]> {
  const query = new URLSearchParams({ page_size: '100', ...filter });
  const res = await env.app.inject({ method: 'GET', url: `/api/logging/audit?${query.toString()}`, headers });
  if (res.statusCode !== 200) throw new Error(`audit log: ${res.statusCode} ${res.body}`);
  return (res.json().logs as AuditEntry[]).sort((a, b) => a.id - b.id);
}
