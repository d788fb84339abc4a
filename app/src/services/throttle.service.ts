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
  let cached: { limits: ThrottleLimits; at: number } | null = null;
  async function current(): Promise<ThrottleLimits> {
    const now = clock.now().getTime();
    if (cached && now - cached.at < SETTINGS_TTL_MS) return cached.limits;
    const stored = await repos.throttle.setting(SETTINGS_KEY);
    const limits = { ...deps.limits, ...(stored ? (JSON.parse(stored) as Partial<ThrottleLimits>) : {}) };
    cached = { limits, at: now };
    return limits;
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
      await repos.throttle.putSetting(SETTINGS_KEY, JSON.stringify(next), clock.now());
      cached = null;
      await audit.record(ctx, {
        eventType: 'security',
        action: 'rate_limits_changed',
        userId: null,
        username: null,
        success: true,
        details: { ...next },
      });
      return current();
    },

    /** Per-address limit on /api/auth/* (login, refresh, change-password, register). */
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
