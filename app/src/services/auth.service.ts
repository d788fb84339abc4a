import { ForbiddenError, NotFoundError, UnauthorizedError } from '../errors/index.js';
import {
  addSeconds,
  type Clock,
  type PasswordHasher,
  type Repositories,
  type Session,
  type TokenCrypto,
  type TransactionRunner,
  type User,
} from '../repositories/index.js';
import type { AuditService } from './audit.service.js';
import { assertPasswordAllowed } from './password-policy.js';
import type { ThrottleService } from './throttle.service.js';
import type { RequestContext } from './request-context.js';

export interface AuthTokens {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  user: User;
}

export interface Principal {
  user: User;
  session: Session;
}

interface AuthDeps {
  repos: Repositories;
  transaction: TransactionRunner;
  clock: Clock;
  hasher: PasswordHasher;
  tokens: TokenCrypto;
  audit: AuditService;
  throttle: ThrottleService;
  refreshTtlSeconds: number;
  sessionIdleTimeoutSeconds: number;
}

const RESET_TOKEN_TTL_SECONDS = 30 * 60;
const FRESH_AUTH_SECONDS = 5 * 60;

// One message for unknown user, wrong password and disabled account: the answer reveals nothing.
const BAD_CREDENTIALS = 'Incorrect username or password';

export function createAuthService(deps: AuthDeps) {
  const { repos, clock, hasher, tokens, audit, throttle } = deps;

  async function issueTokens(user: User, sessionId: string, r: Repositories): Promise<AuthTokens> {
    const refreshToken = tokens.randomToken();
    await r.sessions.addRefreshToken(sessionId, tokens.hashToken(refreshToken), clock.now());
    const access = await tokens.signAccess({ userId: user.id, sessionId });
    return { accessToken: access.token, refreshToken, expiresIn: access.expiresIn, user };
  }

  type RefreshOutcome = { tokens: AuthTokens } | { error: 'unknown' } | { error: 'reuse' | 'expired' | 'inactive'; session: Session };

  /** Live: not revoked, within its absolute lifetime, and used within the idle timeout. */
  function isLive(session: Session, now: Date): boolean {
    const idleUntil = Date.parse(session.lastUsedAt) + deps.sessionIdleTimeoutSeconds * 1000;
    return session.revokedAt === null && new Date(session.expiresAt) > now && idleUntil > now.getTime();
  }

  return {
    async login(ctx: RequestContext, input: { username: string; password: string }): Promise<AuthTokens> {
      await throttle.assertNotLocked(ctx, input.username);
      const found = await repos.users.findCredentials(input.username);
      // The dummy check costs what a real one does, so timing does not reveal who exists.
      // Stryker disable next-line BooleanLiteral: equivalent: an unknown user is refused by !found whatever this says
      const passwordOk = found
        ? await hasher.verify(found.passwordHash, input.password)
        : (await hasher.verifyDummy(input.password), false);
      if (!found || !passwordOk || !found.user.isActive) {
        await audit.record(ctx, {
          eventType: 'auth',
          action: 'login',
          userId: found?.user.id ?? null,
          username: input.username,
          success: false,
          errorMessage: !found ? 'unknown user' : !passwordOk ? 'wrong password' : 'account disabled',
        });
        await throttle.loginFailed(ctx, input.username, found?.user.id ?? null);
        throw new UnauthorizedError(BAD_CREDENTIALS, 'invalid_credentials');
      }
      const user = found.user;
      await throttle.loginSucceeded(ctx, input.username);
      const now = clock.now();
      const sessionId = tokens.newSessionId();
      const result = await deps.transaction(async (r) => {
        await r.sessions.create({
          id: sessionId,
          userId: user.id,
          now,
          expiresAt: addSeconds(now, deps.refreshTtlSeconds),
          ipAddress: ctx.ip,
          userAgent: ctx.userAgent,
        });
        return issueTokens(user, sessionId, r);
      });
      await audit.record(ctx, {
        eventType: 'auth',
        action: 'login',
        userId: user.id,
        username: user.username,
        success: true,
        details: { session_id: sessionId },
      });
      return result;
    },

    /**
     * Rotates a refresh token. Presenting a token that was already rotated means it leaked (or a
     * client replayed it): the whole session is revoked, so the thief's copy dies too.
     */
    async refresh(ctx: RequestContext, refreshToken: string): Promise<AuthTokens> {
      const now = clock.now();
      const outcome = await deps.transaction(async (r): Promise<RefreshOutcome> => {
        const record = await r.sessions.findRefreshToken(tokens.hashToken(refreshToken));
        // Stryker disable next-line ObjectLiteral: equivalent: every outcome but tokens and reuse ends in the same 401
        if (!record) return { error: 'unknown' as const };
        const { session } = record;
        // markUsed is a conditional update: only one caller can spend a token, even concurrently.
        if (!(await r.sessions.markUsed(record.id, now))) {
          await r.sessions.revoke(session.id, 'refresh_token_reuse', now);
          return { error: 'reuse' as const, session };
        }
        // Stryker disable next-line ObjectLiteral: equivalent: every outcome but tokens and reuse ends in the same 401
        if (!isLive(session, now)) return { error: 'expired' as const, session };
        const user = await r.users.findById(session.userId);
        // Stryker disable next-line ObjectLiteral,OptionalChaining: equivalent: same 401 as above; a deleted user's sessions are deleted with it, so user is always found here
        if (!user?.isActive) return { error: 'inactive' as const, session };
        await r.sessions.touch(session.id, now);
        return { tokens: await issueTokens(user, session.id, r) };
      });
      if ('tokens' in outcome) return outcome.tokens;
      if (outcome.error === 'reuse') {
        await audit.record(ctx, {
          eventType: 'security',
          action: 'refresh_token_reuse',
          userId: outcome.session.userId,
          username: null,
          success: false,
          errorMessage: 'rotated refresh token presented again; session revoked',
          details: { session_id: outcome.session.id },
        });
        throw new UnauthorizedError('Refresh token already used; the session has been revoked', 'refresh_token_reused');
      }
      throw new UnauthorizedError('Invalid or expired refresh token', 'invalid_refresh_token');
    },

    async logout(ctx: RequestContext, principal: Principal): Promise<void> {
      await repos.sessions.revoke(principal.session.id, 'logout', clock.now());
      await audit.recordBy(ctx, principal, { eventType: 'auth', action: 'logout', success: true });
    },

    async changePassword(
      ctx: RequestContext,
      principal: Principal,
      input: { currentPassword: string; newPassword: string },
    ): Promise<number> {
      const { user } = principal;
      // A stolen session must not become a password oracle: guesses here count like failed logins.
      await throttle.assertNotLocked(ctx, user.username);
      const stored = await repos.users.passwordHash(user.id);
      if (!stored || !(await hasher.verify(stored, input.currentPassword))) {
        await throttle.loginFailed(ctx, user.username, user.id);
        await audit.record(ctx, {
          eventType: 'auth',
          action: 'change_password',
          userId: user.id,
          username: user.username,
          success: false,
          errorMessage: 'wrong current password',
        });
        throw new UnauthorizedError('Current password is incorrect', 'invalid_credentials');
      }
      assertPasswordAllowed(input.newPassword, user.username, ['body', 'new_password']);
      const newHash = await hasher.hash(input.newPassword);
      const now = clock.now();
      const revoked = await deps.transaction(async (r) => {
        await r.users.setPassword(user.id, newHash, now);
        return r.sessions.revokeAllForUser(user.id, 'password_changed', now, principal.session.id);
      });
      await audit.record(ctx, {
        eventType: 'auth',
        action: 'change_password',
        userId: user.id,
        username: user.username,
        success: true,
        details: { revoked_sessions: revoked },
      });
      return revoked;
    },

    /** Proves the password again inside this session: sensitive admin actions need it within 5 minutes. */
    async reauthenticate(ctx: RequestContext, principal: Principal, password: string): Promise<void> {
      await throttle.assertNotLocked(ctx, principal.user.username);
      const stored = await repos.users.passwordHash(principal.user.id);
      if (!stored || !(await hasher.verify(stored, password))) {
        await audit.recordBy(ctx, principal, {
          eventType: 'auth',
          action: 'reauthenticate',
          success: false,
          errorMessage: 'wrong password',
        });
        await throttle.loginFailed(ctx, principal.user.username, principal.user.id);
        throw new UnauthorizedError('Password is incorrect', 'invalid_credentials');
      }
      await repos.sessions.markReauthenticated(principal.session.id, clock.now());
      await audit.recordBy(ctx, principal, { eventType: 'auth', action: 'reauthenticate', success: true });
    },

    /** Throws unless the principal proved its password (or signed the request) within the last 5 minutes. */
    assertFreshAuthentication(principal: Principal): void {
      const latest = Math.max(
        Date.parse(principal.session.createdAt),
        principal.session.reauthenticatedAt ? Date.parse(principal.session.reauthenticatedAt) : 0,
      );
      if (clock.now().getTime() - latest > FRESH_AUTH_SECONDS * 1000)
        throw new ForbiddenError('This action needs your password again: POST /api/auth/reauthenticate first', 'reauthentication_required');
    },

    /** The caller's live sessions (idle ones have ended too). */
    async listSessions(principal: Principal): Promise<(Session & { current: boolean })[]> {
      const now = clock.now();
      const sessions = await repos.sessions.listLive(principal.user.id, now);
      return sessions.filter((s) => isLive(s, now)).map((s) => ({ ...s, current: s.id === principal.session.id }));
    },

    /** Signs out one of the caller's sessions (another device); someone else's session is "not found". */
    async revokeSession(ctx: RequestContext, principal: Principal, sessionId: string): Promise<void> {
      if (!(await repos.sessions.revokeOwned(principal.user.id, sessionId, 'revoked_by_user', clock.now())))
        throw new NotFoundError(`Session not found: ${sessionId}`, 'session_not_found');
      await audit.recordBy(ctx, principal, {
        eventType: 'auth',
        action: 'revoke_session',
        success: true,
        details: { session_id: sessionId },
      });
    },

    /** An admin signs a user out everywhere (a lost laptop, a leaked password). */
    async revokeAllSessions(ctx: RequestContext, admin: Principal, userId: number): Promise<number> {
      const user = await repos.users.findById(userId);
      if (!user) throw new NotFoundError(`User not found: id=${userId}`, 'user_not_found');
      const revoked = await repos.sessions.revokeAllForUser(userId, 'revoked_by_admin', clock.now());
      await audit.recordBy(ctx, admin, {
        eventType: 'security',
        action: 'revoke_user_sessions',
        success: true,
        details: { target_user_id: userId, revoked },
      });
      return revoked;
    },

    /** An admin issues a single-use reset token for a user (shown once; stored hashed; 30 minutes). */
    async issueResetToken(ctx: RequestContext, admin: Principal | null, userId: number): Promise<{ token: string; expiresAt: string }> {
      const user = await repos.users.findById(userId);
      if (!user) throw new NotFoundError(`User not found: id=${userId}`, 'user_not_found');
      const token = tokens.randomToken();
      const now = clock.now();
      const expiresAt = addSeconds(now, RESET_TOKEN_TTL_SECONDS);
      await repos.sessions.addResetToken({ userId, tokenHash: tokens.hashToken(token), createdBy: admin?.user.id ?? null, now, expiresAt });
      const event = { eventType: 'security', action: 'password_reset_issued', success: true, details: { target_user_id: userId } } as const;
      if (admin) await audit.recordBy(ctx, admin, event);
      else await audit.record(ctx, { ...event, userId: null, username: 'host-cli' });
      return { token, expiresAt: expiresAt.toISOString() };
    },

    /** Redeems a reset token: new password (policy applies), every session signed out, any lockout lifted. */
    async redeemResetToken(ctx: RequestContext, token: string, newPassword: string): Promise<void> {
      const now = clock.now();
      const tokenHash = tokens.hashToken(token);
      const refuse = async () => {
        await audit.record(ctx, {
          eventType: 'security',
          action: 'password_reset',
          userId: null,
          username: null,
          success: false,
          errorMessage: 'unknown, used or expired token',
        });
        return new UnauthorizedError('Invalid or expired reset token', 'invalid_reset_token');
      };
      const owner = await repos.sessions.resetTokenUser(tokenHash, now);
      const user = owner === undefined ? undefined : await repos.users.findById(owner);
      if (!user) throw await refuse();
      // Checked before the token is spent, so a rejected password does not cost the user their token.
      assertPasswordAllowed(newPassword, user.username, ['body', 'new_password']);
      const hash = await hasher.hash(newPassword);
      if ((await repos.sessions.consumeResetToken(tokenHash, now)) !== user.id) throw await refuse();
      const revoked = await deps.transaction(async (r) => {
        await r.users.setPassword(user.id, hash, now);
        await r.sessions.spendResetTokensOf(user.id, now);
        return r.sessions.revokeAllForUser(user.id, 'password_reset', now);
      });
      await throttle.loginSucceeded(ctx, user.username);
      await audit.record(ctx, {
        eventType: 'security',
        action: 'password_reset',
        userId: user.id,
        username: user.username,
        success: true,
        details: { revoked_sessions: revoked },
      });
    },

    /** Resolves an access token to a live session of an active user, or throws UnauthorizedError. */
    async authenticate(accessToken: string): Promise<Principal> {
      const claims = await tokens.verifyAccess(accessToken);
      const found = await repos.sessions.findWithUser(claims.sessionId);
      if (!found || found.user.id !== claims.userId) throw new UnauthorizedError('Session not found', 'invalid_token');
      if (!isLive(found.session, clock.now())) throw new UnauthorizedError('Session has ended', 'session_revoked');
      if (!found.user.isActive) throw new UnauthorizedError('Account is disabled', 'account_disabled');
      return found;
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
