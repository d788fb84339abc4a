import { createHash } from 'node:crypto';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createTokenCrypto } from '../../app/src/repositories/index.js';

const KEY = 'unit-test-secret-key-0123456789abcdef';
const KID = createHash('sha256').update(KEY).digest('hex').slice(0, 12);

describe('token crypto', () => {
  const tokens = createTokenCrypto(KEY, 900);

  it('round-trips an access token with the user and session', async () => {
    const { token, expiresIn } = await tokens.signAccess({ userId: 7, sessionId: 'sess-1' });
    expect(expiresIn).toBe(900);
    expect(await tokens.verifyAccess(token)).toEqual({ userId: 7, sessionId: 'sess-1' });
  });

  it('puts a key id in the header so keys can rotate', async () => {
    const { token } = await tokens.signAccess({ userId: 1, sessionId: 's' });
    const header = JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString());
    expect(header).toEqual({ alg: 'HS256', typ: 'JWT', kid: KID });
  });

  it('rejects a token signed with another key', async () => {
    const other = createTokenCrypto('another-secret-key-0123456789abcdef', 900);
    const { token } = await other.signAccess({ userId: 1, sessionId: 's' });
    await expect(tokens.verifyAccess(token)).rejects.toMatchObject({
      code: 'invalid_token',
      status: 401,
      message: 'Access token signed with an unknown key',
    });
  });

  it('rejects a token without a key id, or with one it does not know', async () => {
    const key = new TextEncoder().encode(KEY);
    const bare = await new SignJWT({ type: 'access', sid: 's' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('1')
      .setExpirationTime('5m')
      .sign(key);
    await expect(tokens.verifyAccess(bare)).rejects.toMatchObject({
      code: 'invalid_token',
      message: 'Access token signed with an unknown key',
    });
    const unknown = await new SignJWT({ type: 'access', sid: 's' })
      .setProtectedHeader({ alg: 'HS256', kid: '000000000000' })
      .setSubject('1')
      .setExpirationTime('5m')
      .sign(key);
    await expect(tokens.verifyAccess(unknown)).rejects.toMatchObject({
      code: 'invalid_token',
      message: 'Access token signed with an unknown key',
    });
  });

  it('accepts only HS256, even with the right key', async () => {
    const key = new TextEncoder().encode(KEY);
    const hs512 = await new SignJWT({ type: 'access', sid: 's' })
      .setProtectedHeader({ alg: 'HS512', kid: KID })
      .setSubject('1')
      .setExpirationTime('5m')
      .sign(key);
    await expect(tokens.verifyAccess(hs512)).rejects.toMatchObject({ code: 'invalid_token', message: 'Invalid access token' });
  });

  it('rejects an expired token with its own code', async () => {
    const key = new TextEncoder().encode(KEY);
    const token = await new SignJWT({ type: 'access', sid: 's' })
      .setProtectedHeader({ alg: 'HS256', kid: KID })
      .setSubject('1')
      .setIssuedAt(1000)
      .setExpirationTime(2000)
      .sign(key);
    await expect(tokens.verifyAccess(token)).rejects.toMatchObject({ code: 'token_expired', status: 401, message: 'Access token expired' });
  });

  it.each([
    ['without the access type', { sid: 's' }],
    ['of another type', { type: 'refresh', sid: 's' }],
    ['without a session', { type: 'access' }],
    ['for a user id that is not a number', { type: 'access', sid: 's' }, 'admin'],
  ])('rejects a correctly signed token %s', async (_name, claims, subject = '1') => {
    const key = new TextEncoder().encode(KEY);
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', kid: KID })
      .setSubject(subject)
      .setExpirationTime('5m')
      .sign(key);
    await expect(tokens.verifyAccess(token)).rejects.toMatchObject({ code: 'invalid_token', message: 'Invalid access token' });
  });

  it('accepts a token made the way every release has made them (across an upgrade)', async () => {
    const key = new TextEncoder().encode(KEY);
    const token = await new SignJWT({ type: 'access', sid: 'sess-9' })
      .setProtectedHeader({ alg: 'HS256', kid: KID, typ: 'JWT' })
      .setSubject('42')
      .setExpirationTime('5m')
      .sign(key);
    await expect(tokens.verifyAccess(token)).resolves.toEqual({ userId: 42, sessionId: 'sess-9' });
  });

  it('rejects alg=none', async () => {
    const body = Buffer.from(JSON.stringify({ type: 'access', sid: 's', sub: '1', exp: 9999999999 })).toString('base64url');
    const header = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
    await expect(tokens.verifyAccess(`${header}.${body}.`)).rejects.toMatchObject({
      code: 'invalid_token',
      message: 'Invalid access token',
    });
  });

  it('hashes opaque tokens deterministically and makes them unguessable', () => {
    const a = tokens.randomToken();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(tokens.randomToken()).not.toBe(a);
    expect(tokens.hashToken(a)).toBe(tokens.hashToken(a));
    expect(tokens.hashToken(a)).not.toContain(a);
    // The stored form is plain SHA-256: changing it would sign out every session and void every share link.
    expect(tokens.hashToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('makes a new random session id each time', () => {
    const ids = new Set(Array.from({ length: 100 }, () => tokens.newSessionId()));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
