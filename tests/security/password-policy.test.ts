/** The password policy applies wherever a password is set: register, admin create and update, change. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertPasswordAllowed } from '../../app/src/services/index.js';
import { createLoggedInUser } from '../helpers/factories.js';
import { createTestEnv, type TestEnv } from '../helpers/test-app.js';

const check = (password: string, username = 'alice') => {
  try {
    assertPasswordAllowed(password, username, ['body', 'password']);
    return 'ok';
  } catch (err) {
    return (err as { issues?: { msg: string }[]; message: string }).message;
  }
};

describe('password policy', () => {
  it.each([
    ['Password123', /most common/],
    ['QWERTYUIOP', /most common/],
    ['1q2w3e4r5t', /most common/],
    ['baluhost123', /most common/],
    ['aaaaaaaaaaaa', /predictable/],
    ['abcdefghijkl', /predictable/],
    ['short', /at least 10/],
    ['x'.repeat(129), /at most 128/],
    ['alice-in-wonderland', /contain the username/],
    ['Alice', /at least 10/],
  ])('judges %j', (password, expected) => {
    expect(check(password)).toMatch(expected);
  });

  it('accepts a long, uncommon passphrase', () => {
    expect(check('correct horse battery staple')).toBe('ok');
    expect(check('tulip-passphrase-93')).toBe('ok');
  });

  describe('through the API', () => {
    let env: TestEnv & { close(): Promise<void> };
    beforeAll(async () => {
      env = await createTestEnv('sqlite', { env: { BALUHOST_REGISTRATION_ENABLED: 'true' } });
    });
    afterAll(() => env?.close());

    it('refuses a common password on register, admin create, admin update and change-password, naming the field', async () => {
      const admin = await createLoggedInUser(env, { role: 'admin' });
      const register = await env.app.inject({ method: 'POST', url: '/api/auth/register', payload: { username: 'carol', password: 'password123' } });
      expect(register.statusCode).toBe(422);
      expect(JSON.stringify(register.json())).toContain('most common');
      const create = await env.app.inject({ method: 'POST', url: '/api/users', headers: admin.headers, payload: { username: 'dave', email: '', password: 'qwertyuiop', role: 'user' } });
      expect(create.statusCode).toBe(422);
      const update = await env.app.inject({ method: 'PUT', url: `/api/users/${admin.user.id}`, headers: admin.headers, payload: { password: 'letmein123' } });
      expect(update.statusCode).toBe(422);
      const change = await env.app.inject({ method: 'POST', url: '/api/auth/change-password', headers: admin.headers, payload: { current_password: admin.password, new_password: 'welcome123' } });
      expect(change.statusCode).toBe(422);
      expect(JSON.stringify(change.json())).toContain('new_password');
    });
  });
});
