import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { UnauthorizedError } from '../errors/index.js';

export interface AccessClaims {
  userId: number;
  sessionId: string;
}

export interface TokenCrypto {
  signAccess(claims: AccessClaims): Promise<{ token: string; expiresIn: number }>;
  verifyAccess(token: string): Promise<AccessClaims>;
  /** An opaque, unguessable token (256 bits) for refresh tokens and share links. */
  randomToken(): string;
  newSessionId(): string;
  /** Stored form of an opaque token: the database never holds a usable token. */
  hashToken(token: string): string;
}

const ACCESS_TYPE = 'access';

export function createTokenCrypto(secretKey: string, accessTtlSeconds: number): TokenCrypto {
  const key = new TextEncoder().encode(secretKey);
  // Key id derived from the key: verification picks the key by `kid` once several are configured.
  const kid = createHash('sha256').update(secretKey).digest('hex').slice(0, 12);
  return {
    async signAccess({ userId, sessionId }) {
      const token = await new SignJWT({ type: ACCESS_TYPE, sid: sessionId })
        .setProtectedHeader({ alg: 'HS256', kid, typ: 'JWT' })
        .setSubject(String(userId))
        .setIssuedAt()
        .setExpirationTime(`${accessTtlSeconds}s`)
        .setJti(randomUUID())
        .sign(key);
      return { token, expiresIn: accessTtlSeconds };
    },
    async verifyAccess(token) {
      try {
        const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'] });
        const userId = Number(payload.sub);
        if (payload['type'] !== ACCESS_TYPE || typeof payload['sid'] !== 'string' || !Number.isSafeInteger(userId)) {
          throw new UnauthorizedError('Invalid access token', 'invalid_token');
        }
        return { userId, sessionId: payload['sid'] };
      } catch (err) {
        if (err instanceof UnauthorizedError) throw err;
        if (err instanceof joseErrors.JWTExpired) throw new UnauthorizedError('Access token expired', 'token_expired');
        throw new UnauthorizedError('Invalid access token', 'invalid_token');
      }
    },
    randomToken: () => randomBytes(32).toString('base64url'),
    newSessionId: () => randomUUID(),
    hashToken: (token) => createHash('sha256').update(token).digest('hex'),
  };
}
