import { describe, expect, it } from 'vitest';
import { createLogger } from '../../app/src/logger.js';
import { LogCapture } from '../helpers/test-app.js';

describe('logger redaction', () => {
  it.each([
    ['an authorization header', { req: { headers: { authorization: 'Bearer abc.def.ghi' } } }, 'abc.def.ghi'],
    ['a cookie header', { req: { headers: { cookie: 'sid=cookie-value' } } }, 'cookie-value'],
    ['a share password header', { req: { headers: { 'x-share-password': 'share-pw-1' } } }, 'share-pw-1'],
    ['a top-level password', { password: 'hunter2-hunter2' }, 'hunter2-hunter2'],
    ['a nested password', { body: { password: 'nested-pw-1' } }, 'nested-pw-1'],
    ['a nested refresh token', { body: { refresh_token: 'rt-123456' } }, 'rt-123456'],
    ['a new password', { body: { new_password: 'np-123456' } }, 'np-123456'],
    ['a secret key', { config: { secretKey: 'sk-123456' } }, 'sk-123456'],
    ['a connection string', { pool: { connectionString: 'postgres://u:pw-in-url@h/db' } }, 'pw-in-url'],
  ])('replaces %s', (_name, object, secret) => {
    const capture = new LogCapture();
    createLogger({ logLevel: 'info' }, capture).info(object, 'x');
    expect(capture.text).not.toContain(secret);
    expect(capture.text).toContain('[REDACTED]');
  });
});
