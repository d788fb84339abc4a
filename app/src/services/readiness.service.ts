import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Database } from '../db/index.js';
import { schemaStatus } from '../db/index.js';

export type CheckResult = { ok: true } | { ok: false; reason: string };

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, CheckResult>;
}

export type ReadinessCheck = () => Promise<CheckResult>;

export function createReadinessService(deps: {
  database: Database;
  storageRoot: string;
  dbTimeoutMs: number;
  extraChecks?: Record<string, ReadinessCheck>;
}) {
  const { database } = deps;
  const checks: Record<string, ReadinessCheck> = {
    async database() {
      await database.ping(deps.dbTimeoutMs);
      return { ok: true };
    },
    async migrations() {
      const status = await schemaStatus(database.db, database.dialect);
      if (status.unknown.length > 0) return { ok: false, reason: `schema is newer than this build: ${status.unknown.join(', ')}` };
      if (status.pending.length > 0) return { ok: false, reason: `pending migrations: ${status.pending.join(', ')}` };
      return { ok: true };
    },
    async storage() {
      await mkdir(deps.storageRoot, { recursive: true });
      const probe = join(deps.storageRoot, `.ready-${randomUUID()}`);
      await writeFile(probe, 'ok');
      await rm(probe, { force: true });
      return { ok: true };
    },
    ...deps.extraChecks,
  };

  return {
    async check(): Promise<ReadinessReport> {
      const entries = await Promise.all(
        Object.entries(checks).map(async ([name, run]): Promise<[string, CheckResult]> => {
          try {
            return [name, await run()];
          } catch (err) {
            return [name, { ok: false, reason: err instanceof Error ? err.message : String(err) }];
          }
        }),
      );
      const report = Object.fromEntries(entries);
      return { ready: entries.every(([, r]) => r.ok), checks: report };
    },
  };
}

export type ReadinessService = ReturnType<typeof createReadinessService>;
