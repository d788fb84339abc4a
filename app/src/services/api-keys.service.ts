/**
 * API keys for automation (deploy scripts calling admin endpoints). A request is signed with
 * HMAC-SHA256 over method, path with query, timestamp, nonce and the body's SHA-256; it is accepted
 * within ±5 minutes and only once (nonces are remembered in the database for the window).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { NotFoundError, UnauthorizedError } from '../errors/index.js';
import type { Clock, Repositories } from '../repositories/index.js';
import type { SecretBox } from '../repositories/secret-box.js';
import type { AuditService } from './audit.service.js';
import type { Principal } from './auth.service.js';
import type { RequestContext } from './request-context.js';

export const SIGNATURE_WINDOW_SECONDS = 300;
export const EMPTY_BODY_SHA256 = createHash('sha256').update('').digest('hex');

export interface SignedRequest {
  method: string;
  /** Path with query string, exactly as sent. */
  url: string;
  keyId: string;
  timestamp: string;
  nonce: string;
  signature: string;
  bodySha256: string;
}

/** The string both sides sign. */
export function signingString(r: { method: string; url: string; timestamp: string; nonce: string; bodySha256: string }): string {
  return [r.method.toUpperCase(), r.url, r.timestamp, r.nonce, r.bodySha256].join('\n');
}

/** Headers for a signed request (what an automation client sends). */
export function signRequest(
  key: { keyId: string; secret: string },
  request: { method: string; url: string; body?: string | Buffer; now?: Date; nonce?: string },
): Record<string, string> {
  const timestamp = String(Math.floor((request.now ?? new Date()).getTime() / 1000));
  const nonce = request.nonce ?? randomBytes(16).toString('hex');
  const bodySha256 = createHash('sha256')
    .update(request.body ?? '')
    .digest('hex');
  const signature = createHmac('sha256', key.secret)
    .update(signingString({ method: request.method, url: request.url, timestamp, nonce, bodySha256 }))
    .digest('hex');
  return {
    'x-baluhost-key': key.keyId,
    'x-baluhost-timestamp': timestamp,
    'x-baluhost-nonce': nonce,
    'x-baluhost-signature': signature,
    // Declared, so a body the server reads only after authenticating (an upload) is covered too.
    'x-baluhost-content-sha256': bodySha256,
  };
}

export function createApiKeysService(deps: { repos: Repositories; clock: Clock; box: SecretBox; audit: AuditService }) {
  const { repos, clock, box, audit } = deps;
  const refuse = (message: string, code: string) => new UnauthorizedError(message, code);

  return {
    async create(ctx: RequestContext, admin: Principal, name: string): Promise<{ keyId: string; secret: string }> {
      const keyId = `bhk_${randomBytes(8).toString('hex')}`;
      const secret = randomBytes(32).toString('base64url');
      await repos.apiKeys.create({ keyId, userId: admin.user.id, name, secretSealed: box.seal(secret), now: clock.now() });
      await audit.recordBy(ctx, admin, {
        eventType: 'security',
        action: 'api_key_created',
        success: true,
        details: { key_id: keyId, name },
      });
      return { keyId, secret };
    },

    list: () => repos.apiKeys.list(),

    async revoke(ctx: RequestContext, admin: Principal, keyId: string): Promise<void> {
      if (!(await repos.apiKeys.revoke(keyId, clock.now()))) throw new NotFoundError(`API key not found: ${keyId}`, 'api_key_not_found');
      await audit.recordBy(ctx, admin, { eventType: 'security', action: 'api_key_revoked', success: true, details: { key_id: keyId } });
    },

    /** Verifies a signed request and returns the key owner's principal (the request counts as freshly authenticated). */
    async authenticate(request: SignedRequest): Promise<Principal> {
      const now = clock.now();
      const ts = Number(request.timestamp);
      if (!/^\d{1,12}$/.test(request.timestamp) || Math.abs(now.getTime() / 1000 - ts) > SIGNATURE_WINDOW_SECONDS)
        throw refuse('Signed request outside the ±5 minute window', 'signature_expired');
      if (!/^[A-Za-z0-9_-]{8,128}$/.test(request.nonce))
        throw refuse('Signed request needs a nonce of 8-128 URL-safe characters', 'invalid_signature');
      const key = await repos.apiKeys.findActive(request.keyId);
      const user = key ? await repos.users.findById(key.userId) : undefined;
      if (!key || !user?.isActive) throw refuse('Unknown or revoked API key', 'invalid_api_key');
      const expected = createHmac('sha256', box.open(key.secretSealed)).update(signingString(request)).digest();
      const given = Buffer.from(/^[0-9a-f]{64}$/.test(request.signature) ? request.signature : '', 'hex');
      if (given.length !== expected.length || !timingSafeEqual(given, expected))
        throw refuse('Request signature does not match', 'invalid_signature');
      if (
        !(await repos.apiKeys.rememberNonce(
          `${key.keyId}:${request.nonce}`,
          new Date(now.getTime() + 2 * SIGNATURE_WINDOW_SECONDS * 1000),
          now,
        ))
      )
        throw refuse('Request already seen (replay)', 'replayed_request');
      await repos.apiKeys.touch(key.keyId, now);
      const at = now.toISOString();
      return {
        user,
        session: {
          id: `api-key:${key.keyId}`,
          userId: user.id,
          createdAt: at,
          lastUsedAt: at,
          expiresAt: at,
          revokedAt: null,
          revokeReason: null,
          ipAddress: null,
          userAgent: null,
          reauthenticatedAt: at,
        },
      };
    },
  };
}

export type ApiKeysService = ReturnType<typeof createApiKeysService>;
