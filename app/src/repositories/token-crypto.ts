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

const keyId = (secret: string) => createHash('sha256').update(secret).digest('hex').slice(0, 12);

/**
 * Signs with `secretKey`; verifies with it or any of `previousKeys`, chosen by the token's `kid`, so
 * rotating the key signs nobody out (old tokens expire within the access TTL anyway).
 */
// Stryker disable next-line ArrayDeclaration: equivalent: a default previous key nobody holds verifies no token
export function createTokenCrypto(secretKey: string, accessTtlSeconds: number, previousKeys: readonly string[] = []): TokenCrypto {
  const key = new TextEncoder().encode(secretKey);
  const kid = keyId(secretKey);
  const verificationKeys = new Map([secretKey, ...previousKeys].map((k) => [keyId(k), new TextEncoder().encode(k)]));
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
        const { payload } = await jwtVerify(
          token,
          (header) => {
            const found = verificationKeys.get(String(header.kid));
            if (!found) throw new UnauthorizedError('Access token signed with an unknown key', 'invalid_token');
            return found;
          },
          { algorithms: ['HS256'] },
        );
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
