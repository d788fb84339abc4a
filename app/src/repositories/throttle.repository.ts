import { sql } from 'kysely';
import type { Executor } from './users.repository.js';

export interface Lockout {
  failedCount: number;
  lockoutLevel: number;
  lockedUntil: string | null;
}

/**
 * Brute-force state in the database, so every API process (both release slots) sees the same
 * counters. Each change is one atomic upsert: concurrent requests cannot lose a failure or a hit.
 */
export function createThrottleRepository(db: Executor) {
  return {
    async lockout(subject: string): Promise<Lockout | undefined> {
      const row = await db
        .selectFrom('account_lockouts')
        .select(['failed_count', 'lockout_level', 'locked_until'])
        .where('subject', '=', subject)
        .executeTakeFirst();
      return row && { failedCount: row.failed_count, lockoutLevel: row.lockout_level, lockedUntil: row.locked_until };
    },

    /** Counts one failure; returns the counters after it. */
    async addFailure(subject: string, now: Date): Promise<Lockout> {
      const at = now.toISOString();
      const row = await db
        .insertInto('account_lockouts')
        .values({ subject, failed_count: 1, lockout_level: 0, locked_until: null, updated_at: at })
        .onConflict((oc) => oc.column('subject').doUpdateSet({ failed_count: sql`account_lockouts.failed_count + 1`, updated_at: at }))
        .returning(['failed_count', 'lockout_level', 'locked_until'])
        .executeTakeFirstOrThrow();
      return { failedCount: row.failed_count, lockoutLevel: row.lockout_level, lockedUntil: row.locked_until };
    },

    /** Starts a lockout: failures reset, level up (the next one lasts twice as long). */
    async lock(subject: string, until: Date, now: Date): Promise<void> {
      await db
        .updateTable('account_lockouts')
        .set({ failed_count: 0, lockout_level: sql`lockout_level + 1`, locked_until: until.toISOString(), updated_at: now.toISOString() })
        .where('subject', '=', subject)
        .execute();
    },

    async clearLockout(subject: string): Promise<void> {
      await db.deleteFrom('account_lockouts').where('subject', '=', subject).execute();
    },

    async listLockouts(now: Date): Promise<{ subject: string; lockedUntil: string; level: number }[]> {
      const rows = await db
        .selectFrom('account_lockouts')
        .select(['subject', 'locked_until', 'lockout_level'])
        .where('locked_until', '>', now.toISOString())
        .orderBy('subject')
        .execute();
      return rows.map((r) => ({ subject: r.subject, lockedUntil: r.locked_until as string, level: r.lockout_level }));
    },

    /** Counts a hit in a fixed window; a window that has ended starts over. Returns the count and when it resets. */
    async hit(key: string, now: Date, windowSeconds: number): Promise<{ hits: number; resetAt: string }> {
      const at = now.toISOString();
      const resetAt = new Date(now.getTime() + windowSeconds * 1000).toISOString();
      const row = await db
        .insertInto('rate_limit_counters')
        .values({ key, hits: 1, reset_at: resetAt })
        .onConflict((oc) =>
          oc.column('key').doUpdateSet({
            hits: sql`case when rate_limit_counters.reset_at <= ${at} then 1 else rate_limit_counters.hits + 1 end`,
            reset_at: sql`case when rate_limit_counters.reset_at <= ${at} then ${resetAt} else rate_limit_counters.reset_at end`,
          }),
        )
        .returning(['hits', 'reset_at'])
        .executeTakeFirstOrThrow();
      return { hits: row.hits, resetAt: row.reset_at };
    },

    async setting(key: string): Promise<string | undefined> {
      return (await db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst())?.value;
    },

    async settingUpdatedAt(key: string): Promise<string | null> {
      return (await db.selectFrom('settings').select('updated_at').where('key', '=', key).executeTakeFirst())?.updated_at ?? null;
    },

    async deleteSetting(key: string): Promise<void> {
      await db.deleteFrom('settings').where('key', '=', key).execute();
    },

    async putSetting(key: string, value: string, now: Date): Promise<void> {
      await db
        .insertInto('settings')
        .values({ key, value, updated_at: now.toISOString() })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at: now.toISOString() }))
        .execute();
    },

    /** Forgets windows that ended (called now and then; the table never grows without bound). */
    async pruneCounters(now: Date): Promise<void> {
      await db.deleteFrom('rate_limit_counters').where('reset_at', '<=', now.toISOString()).execute();
    },
  };
}

export type ThrottleRepository = ReturnType<typeof createThrottleRepository>;
