import type { Selectable } from 'kysely';
import type { SessionsTable } from '../db/index.js';
import { toUser, type Executor, type User } from './users.repository.js';

export interface Session {
  id: string;
  userId: number;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
  revokedAt: string | null;
  revokeReason: string | null;
  ipAddress: string | null;
  userAgent: string | null;
  /** Last time the user proved their password inside this session (login counts). */
  reauthenticatedAt: string | null;
}

export interface RefreshTokenRecord {
  id: number;
  usedAt: string | null;
  session: Session;
}

function toSession(row: Selectable<SessionsTable>): Session {
  return {
    id: row.id,
    userId: row.user_id,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    revokeReason: row.revoke_reason,
    ipAddress: row.ip_address,
    userAgent: row.user_agent,
    reauthenticatedAt: row.reauthenticated_at,
  };
}

/** Login sessions and the refresh tokens that rotate inside them (one "family" per session). */
export function createSessionsRepository(db: Executor) {
  return {
    async create(session: {
      id: string;
      userId: number;
      now: Date;
      expiresAt: Date;
      ipAddress: string | null;
      userAgent: string | null;
    }): Promise<void> {
      const at = session.now.toISOString();
      await db
        .insertInto('sessions')
        .values({
          id: session.id,
          user_id: session.userId,
          created_at: at,
          last_used_at: at,
          expires_at: session.expiresAt.toISOString(),
          ip_address: session.ipAddress,
          user_agent: session.userAgent,
        })
        .execute();
    },

    async addRefreshToken(sessionId: string, tokenHash: string, now: Date): Promise<void> {
      await db
        .insertInto('refresh_tokens')
        .values({ session_id: sessionId, token_hash: tokenHash, created_at: now.toISOString() })
        .execute();
    },

    async findRefreshToken(tokenHash: string): Promise<RefreshTokenRecord | undefined> {
      const row = await db
        .selectFrom('refresh_tokens as t')
        .innerJoin('sessions as s', 's.id', 't.session_id')
        .selectAll('s')
        .select(['t.id as token_id', 't.used_at as token_used_at'])
        .where('t.token_hash', '=', tokenHash)
        .executeTakeFirst();
      if (!row) return undefined;
      const { token_id, token_used_at, ...session } = row;
      return { id: token_id, usedAt: token_used_at, session: toSession(session) };
    },

    /** Marks a token used; false when another request used it first (the caller treats that as reuse). */
    async markUsed(tokenId: number, now: Date): Promise<boolean> {
      const result = await db
        .updateTable('refresh_tokens')
        .set({ used_at: now.toISOString() })
        .where('id', '=', tokenId)
        .where('used_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async touch(sessionId: string, now: Date): Promise<void> {
      await db.updateTable('sessions').set({ last_used_at: now.toISOString() }).where('id', '=', sessionId).execute();
    },

    async revoke(sessionId: string, reason: string, now: Date): Promise<void> {
      await db
        .updateTable('sessions')
        .set({ revoked_at: now.toISOString(), revoke_reason: reason })
        .where('id', '=', sessionId)
        .where('revoked_at', 'is', null)
        .execute();
    },

    /** Revokes every live session of a user, except `keepSessionId` when given. Returns how many. */
    async revokeAllForUser(userId: number, reason: string, now: Date, keepSessionId?: string): Promise<number> {
      let query = db
        .updateTable('sessions')
        .set({ revoked_at: now.toISOString(), revoke_reason: reason })
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null);
      if (keepSessionId) query = query.where('id', '!=', keepSessionId);
      const result = await query.executeTakeFirst();
      return Number(result.numUpdatedRows);
    },

    async markReauthenticated(sessionId: string, now: Date): Promise<void> {
      await db.updateTable('sessions').set({ reauthenticated_at: now.toISOString() }).where('id', '=', sessionId).execute();
    },

    /** A user's sessions that are not revoked and not past their absolute lifetime, newest first. */
    async listLive(userId: number, now: Date): Promise<Session[]> {
      const rows = await db
        .selectFrom('sessions')
        .selectAll()
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now.toISOString())
        .orderBy('last_used_at', 'desc')
        .execute();
      return rows.map(toSession);
    },

    /** Revokes one session of one user; false when it is not theirs or already ended. */
    async revokeOwned(userId: number, sessionId: string, reason: string, now: Date): Promise<boolean> {
      const result = await db
        .updateTable('sessions')
        .set({ revoked_at: now.toISOString(), revoke_reason: reason })
        .where('id', '=', sessionId)
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async addResetToken(token: { userId: number; tokenHash: string; createdBy: number | null; now: Date; expiresAt: Date }): Promise<void> {
      await db
        .insertInto('password_reset_tokens')
        .values({
          user_id: token.userId,
          token_hash: token.tokenHash,
          created_by: token.createdBy,
          created_at: token.now.toISOString(),
          expires_at: token.expiresAt.toISOString(),
        })
        .execute();
    },

    /** Whose unused, unexpired reset token this is (without using it). */
    async resetTokenUser(tokenHash: string, now: Date): Promise<number | undefined> {
      const row = await db
        .selectFrom('password_reset_tokens')
        .select('user_id')
        .where('token_hash', '=', tokenHash)
        .where('used_at', 'is', null)
        .where('expires_at', '>', now.toISOString())
        .executeTakeFirst();
      return row?.user_id;
    },

    /**
     * Uses a reset token: one UPDATE that succeeds only for an unused, unexpired token, so two
     * concurrent redemptions cannot both win. Returns the user id, or undefined.
     */
    /** Spends every reset token of a user still open: after a reset, no older token may reset again. */
    async spendResetTokensOf(userId: number, now: Date): Promise<void> {
      await db
        .updateTable('password_reset_tokens')
        .set({ used_at: now.toISOString() })
        .where('user_id', '=', userId)
        .where('used_at', 'is', null)
        .execute();
    },

    async consumeResetToken(tokenHash: string, now: Date): Promise<number | undefined> {
      const row = await db
        .updateTable('password_reset_tokens')
        .set({ used_at: now.toISOString() })
        .where('token_hash', '=', tokenHash)
        .where('used_at', 'is', null)
        .where('expires_at', '>', now.toISOString())
        .returning('user_id')
        .executeTakeFirst();
      return row?.user_id;
    },

    /** The session behind an access token, with its user, in one query (runs on every request). */
    async findWithUser(sessionId: string): Promise<{ session: Session; user: User } | undefined> {
      const row = await db
        .selectFrom('sessions as s')
        .innerJoin('users as u', 'u.id', 's.user_id')
        .selectAll('u')
        .select([
          's.id as s_id',
          's.user_id as s_user_id',
          's.created_at as s_created_at',
          's.last_used_at as s_last_used_at',
          's.expires_at as s_expires_at',
          's.revoked_at as s_revoked_at',
          's.revoke_reason as s_revoke_reason',
          's.ip_address as s_ip_address',
          's.user_agent as s_user_agent',
          's.reauthenticated_at as s_reauthenticated_at',
        ])
        .where('s.id', '=', sessionId)
        .executeTakeFirst();
      if (!row) return undefined;
      const session = toSession({
        id: row.s_id,
        user_id: row.s_user_id,
        created_at: row.s_created_at,
        last_used_at: row.s_last_used_at,
        expires_at: row.s_expires_at,
        revoked_at: row.s_revoked_at,
        revoke_reason: row.s_revoke_reason,
        ip_address: row.s_ip_address,
        user_agent: row.s_user_agent,
        reauthenticated_at: row.s_reauthenticated_at,
      });
      return { session, user: toUser(row) };
    },
  };
}

export type SessionsRepository = ReturnType<typeof createSessionsRepository>;
