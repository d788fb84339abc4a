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

  it.each([
    ['exactly 10 characters', 'k7#mQ2vLp9', 'ok'],
    ['9 characters', 'k7#mQ2vLp', 'must be at least 10 characters'],
    ['10 characters counted as letters, not bytes', 'ü🔒ü🔒ü🔒ü🔒xy', 'ok'],
    ['9 characters in 13 UTF-16 units', 'ü🔒ü🔒ü🔒ü🔒x', 'must be at least 10 characters'],
    ['128 characters', '🔒a'.repeat(64), 'ok'],
    ['129 characters', `${'🔒a'.repeat(64)}b`, 'must be at most 128 characters'],
    ['the username itself, in other case', 'Longusername1', 'must not be the username', 'longUSERNAME1'],
    ['a name of four letters inside', 'dave-rocks-hard-1', 'must not contain the username', 'Dave'],
    ['a name of three letters inside (too short to judge)', 'bob-the-builder-99', 'ok', 'bob'],
    ['a run down the alphabet', 'zyxwvutsrq', 'is too predictable (a repeated character or a straight run)'],
    ['a run in mixed case', 'BcDeFgHiJk', 'is too predictable (a repeated character or a straight run)'],
    ['every other letter', 'acegikmoqs', 'ok'],
    ['nearly one character', 'aaaaaaaaab', 'ok'],
    ['a common one in capitals', 'PASSWORD123', 'is one of the most common passwords; choose another'],
  ])('judges %s exactly', (_name, password, expected, username = 'alice') => {
    expect(check(password, username)).toBe(expected === 'ok' ? 'ok' : `password: ${expected}`);
    if (expected !== 'ok') {
      // Clients branch on the type: every refusal by the policy says so.
      expect(() => assertPasswordAllowed(password, username, ['body', 'password'])).toThrow(
        expect.objectContaining({ issues: [{ loc: ['body', 'password'], msg: expected, type: 'password_policy' }] }),
      );
    }
  });

  it('names the field and the rule that refused it', () => {
    try {
      assertPasswordAllowed('short', 'alice', ['body', 'new_password']);
      throw new Error('accepted');
    } catch (err) {
      expect((err as { issues: unknown[] }).issues).toEqual([
        { loc: ['body', 'new_password'], msg: 'must be at least 10 characters', type: 'password_policy' },
      ]);
    }
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
      const register = await env.app.inject({
        method: 'POST',
        url: '/api/auth/register',
        payload: { username: 'carol', password: 'password123' },
      });
      expect(register.statusCode).toBe(422);
      expect(JSON.stringify(register.json())).toContain('most common');
      const create = await env.app.inject({
        method: 'POST',
        url: '/api/users',
        headers: admin.headers,
        payload: { username: 'dave', email: '', password: 'qwertyuiop', role: 'user' },
      });
      expect(create.statusCode).toBe(422);
      const update = await env.app.inject({
        method: 'PUT',
        url: `/api/users/${admin.user.id}`,
        headers: admin.headers,
        payload: { password: 'letmein123' },
      });
      expect(update.statusCode).toBe(422);
      const change = await env.app.inject({
        method: 'POST',
        url: '/api/auth/change-password',
        headers: admin.headers,
        payload: { current_password: admin.password, new_password: 'welcome123' },
      });
      expect(change.statusCode).toBe(422);
      expect(JSON.stringify(change.json())).toContain('new_password');
    });
  });
});
