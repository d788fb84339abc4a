/**
 * Brute-force protection: progressive per-account lockout on failed logins, and fixed-window rate
 * limits per client address (tight on /api/auth/*, loose on the rest). State is in the database so
 * both release slots share it. Lockouts and the first refused request of a window are audited.
 */
import { TooManyRequestsError } from '../errors/index.js';
import type { Clock, Repositories } from '../repositories/index.js';
import type { AuditService } from './audit.service.js';
import type { RequestContext } from './request-context.js';

export interface ThrottleLimits {
  lockoutThreshold: number;
  lockoutSeconds: number;
  authPerMinute: number;
  apiPerMinute: number;
}

/** The two per-address limits, named as the web client's rate-limit page lists them. */
export type LimitScope = 'auth' | 'api';
export const LIMIT_SCOPES: readonly LimitScope[] = ['auth', 'api'];
const PER_MINUTE: Record<LimitScope, 'authPerMinute' | 'apiPerMinute'> = { auth: 'authPerMinute', api: 'apiPerMinute' };

export interface ScopeLimit {
  scope: LimitScope;
  perMinute: number;
  enabled: boolean;
  /** When an admin last changed the limits; null while the configured defaults apply. */
  updatedAt: string | null;
}

const MAX_LOCKOUT_SECONDS = 86_400;
const SETTINGS_KEY = 'throttle.limits';
const SETTINGS_TTL_MS = 5_000;
const WINDOW_SECONDS = 60;

interface ThrottleDeps {
  repos: Repositories;
  clock: Clock;
  audit: AuditService;
  limits: ThrottleLimits;
  onLockout: () => void;
}

export const lockoutSubject = (username: string) => `user:${username.trim().toLowerCase()}`;
/** Marks an address that failed for an account; it never locks by itself (see assertNotLocked). */
const addressSubject = (ctx: RequestContext, username: string) => `failed-from:${ctx.ip ?? 'unknown'}:${lockoutSubject(username)}`;
const shareLinkSubject = (linkId: number, ctx: RequestContext) => `share:${linkId}:${ctx.ip ?? 'unknown'}`;

export function createThrottleService(deps: ThrottleDeps) {
  const { repos, clock, audit } = deps;
  let hitsSincePrune = 0;
  // Admin changes live in the settings table (every process sees them); re-read at most every few seconds.
  let cached: { limits: ThrottleLimits; disabled: LimitScope[]; inForce: ThrottleLimits; at: number } | null = null;
  async function stored(): Promise<{ limits: ThrottleLimits; disabled: LimitScope[]; inForce: ThrottleLimits }> {
    const now = clock.now().getTime();
    if (cached && now - cached.at < SETTINGS_TTL_MS) return cached;
    const raw = await repos.throttle.setting(SETTINGS_KEY);
    const parsed = raw ? (JSON.parse(raw) as Partial<ThrottleLimits> & { disabled?: LimitScope[] }) : {};
    const { disabled = [], ...saved } = parsed;
    const limits = { ...deps.limits, ...saved };
    // A scope an admin switched off counts as 0 (off); its number is kept for when it is switched on again.
    const inForce = { ...limits, ...Object.fromEntries(disabled.map((scope) => [PER_MINUTE[scope], 0])) };
    cached = { limits, disabled, inForce, at: now };
    return cached;
  }
  /** The limits in force, computed once per read of the settings (every API request asks). */
  const current = async (): Promise<ThrottleLimits> => (await stored()).inForce;
  async function save(ctx: RequestContext, limits: ThrottleLimits, disabled: LimitScope[], action: string): Promise<void> {
    await repos.throttle.putSetting(SETTINGS_KEY, JSON.stringify({ ...limits, disabled }), clock.now());
    cached = null;
    await audit.record(ctx, {
      eventType: 'security',
      action,
      userId: null,
      username: null,
      success: true,
      details: { ...limits, disabled },
    });
  }

  async function limit(ctx: RequestContext, scope: 'auth' | 'api', perMinute: number): Promise<void> {
    if (perMinute <= 0 || ctx.ip === null) return;
    const now = clock.now();
    if (++hitsSincePrune >= 1000) {
      hitsSincePrune = 0;
      await repos.throttle.pruneCounters(now);
    }
    const { hits, resetAt } = await repos.throttle.hit(`${scope}:${ctx.ip}`, now, WINDOW_SECONDS);
    if (hits <= perMinute) return;
    if (hits === perMinute + 1) {
      await audit.record(ctx, {
        eventType: 'security',
        action: 'rate_limited',
        userId: null,
        username: null,
        success: false,
        errorMessage: `${scope} rate limit of ${perMinute}/min reached`,
        details: { scope, ip: ctx.ip },
      });
    }
    throw new TooManyRequestsError(
      `Too many requests from this address; try again in ${Math.ceil((Date.parse(resetAt) - now.getTime()) / 1000)} seconds`,
      (Date.parse(resetAt) - now.getTime()) / 1000,
    );
  }

  /** Seconds a subject stays locked (0: not locked). */
  async function lockedSeconds(subject: string): Promise<number> {
    const state = await repos.throttle.lockout(subject);
    const until = state?.lockedUntil ? Date.parse(state.lockedUntil) : 0;
    return Math.max(0, (until - clock.now().getTime()) / 1000);
  }

  /** Counts one failure of a subject; at the threshold locks it, each lockout twice as long. Returns the lockout, if one began. */
  async function countFailure(subject: string): Promise<{ failures: number; seconds: number; level: number } | null> {
    const now = clock.now();
    const state = await repos.throttle.addFailure(subject, now);
    const limits = await current();
    if (state.failedCount < limits.lockoutThreshold) return null;
    const seconds = Math.min(MAX_LOCKOUT_SECONDS, limits.lockoutSeconds * 2 ** state.lockoutLevel);
    await repos.throttle.lock(subject, new Date(now.getTime() + seconds * 1000), now);
    return { failures: state.failedCount, seconds, level: state.lockoutLevel + 1 };
  }

  return {
    limits: current,
    async setLimits(ctx: RequestContext, next: ThrottleLimits): Promise<ThrottleLimits> {
      await save(ctx, next, [], 'rate_limits_changed');
      return current();
    },

    /** Each per-address limit with its number and whether it is on. */
    async scopeLimits(): Promise<ScopeLimit[]> {
      const [{ limits, disabled }, updatedAt] = await Promise.all([stored(), repos.throttle.settingUpdatedAt(SETTINGS_KEY)]);
      return LIMIT_SCOPES.map((scope) => ({
        scope,
        perMinute: limits[PER_MINUTE[scope]],
        enabled: !disabled.includes(scope) && limits[PER_MINUTE[scope]] > 0,
        updatedAt,
      }));
    },

    /** Changes one limit's number or switches it on or off (an admin, audited). */
    async setScopeLimit(ctx: RequestContext, scope: LimitScope, change: { perMinute?: number; enabled?: boolean }): Promise<ScopeLimit> {
      const { limits, disabled } = await stored();
      const next = { ...limits, ...(change.perMinute !== undefined && { [PER_MINUTE[scope]]: change.perMinute }) };
      const off =
        change.enabled === undefined ? disabled : change.enabled ? disabled.filter((s) => s !== scope) : [...new Set([...disabled, scope])];
      await save(ctx, next, off, 'rate_limits_changed');
      return (await this.scopeLimits()).find((l) => l.scope === scope) as ScopeLimit;
    },

    /** Back to the limits the server was configured with (BALUHOST_*_RATE_LIMIT_PER_MINUTE, lockout settings). */
    async resetLimits(ctx: RequestContext): Promise<void> {
      await repos.throttle.deleteSetting(SETTINGS_KEY);
      cached = null;
      await audit.record(ctx, { eventType: 'security', action: 'rate_limits_reset', userId: null, username: null, success: true });
    },

    /** Per-address limit on the routes that take a password or token (lib/credential-routes.ts). */
    limitAuth: async (ctx: RequestContext) => limit(ctx, 'auth', (await current()).authPerMinute),
    /** Per-address limit on the rest of the API. */
    limitApi: async (ctx: RequestContext) => limit(ctx, 'api', (await current()).apiPerMinute),

    /**
     * Refuses a login for a locked account before the password is even checked — from the addresses
     * that failed for it. An address with no failure for this account keeps a chance, one guess at a
     * time (a failure marks it too), so a guesser cannot lock the rightful user out of their account.
     */
    async assertNotLocked(ctx: RequestContext, username: string): Promise<void> {
      const seconds = await lockedSeconds(lockoutSubject(username));
      if (seconds === 0) return;
      const fromHere = await repos.throttle.lockout(addressSubject(ctx, username));
      if (!fromHere || fromHere.failedCount === 0) return;
      throw new TooManyRequestsError('Too many failed logins; this account is locked for now', seconds, 'account_locked');
    },

    /** Counts a failure (unknown names too, so a lockout reveals nothing); locks at the threshold, each lockout twice as long. */
    async loginFailed(ctx: RequestContext, username: string, userId: number | null): Promise<void> {
      await repos.throttle.addFailure(addressSubject(ctx, username), clock.now());
      const lockout = await countFailure(lockoutSubject(username));
      if (!lockout) return;
      deps.onLockout();
      await audit.record(ctx, {
        eventType: 'security',
        action: 'account_locked',
        userId,
        username,
        success: false,
        errorMessage: `${lockout.failures} failed logins; locked for ${lockout.seconds} s`,
        details: { seconds: lockout.seconds, level: lockout.level },
      });
    },

    async loginSucceeded(ctx: RequestContext, username: string): Promise<void> {
      await repos.throttle.clearLockout(lockoutSubject(username));
      await repos.throttle.clearLockout(addressSubject(ctx, username));
    },

    /**
     * Wrong passwords for a share link, per link and client address (a guesser elsewhere does not
     * lock the link for its rightful users): the login threshold and doubling, audited the same way.
     */
    async assertShareLinkNotLocked(ctx: RequestContext, linkId: number): Promise<void> {
      const seconds = await lockedSeconds(shareLinkSubject(linkId, ctx));
      if (seconds > 0)
        throw new TooManyRequestsError('Too many wrong passwords for this share link; try again later', seconds, 'share_locked');
    },

    async shareLinkPasswordFailed(ctx: RequestContext, linkId: number): Promise<void> {
      const lockout = await countFailure(shareLinkSubject(linkId, ctx));
      if (!lockout) return;
      await audit.record(ctx, {
        eventType: 'security',
        action: 'share_link_locked',
        userId: null,
        username: null,
        success: false,
        errorMessage: `${lockout.failures} wrong share passwords; locked for ${lockout.seconds} s`,
        details: { share_id: linkId, seconds: lockout.seconds },
      });
    },

    shareLinkPasswordSucceeded: (ctx: RequestContext, linkId: number) => repos.throttle.clearLockout(shareLinkSubject(linkId, ctx)),

    lockouts: () => repos.throttle.listLockouts(clock.now()),
    unlock: (subject: string) => repos.throttle.clearLockout(subject),
  };
}

export type ThrottleService = ReturnType<typeof createThrottleService>;
