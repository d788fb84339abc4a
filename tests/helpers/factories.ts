import { randomBytes } from 'node:crypto';
import { createArgon2Hasher, type Role, type User } from '../../app/src/repositories/index.js';
import { rememberSecret } from './secrets.js';
import type { TestEnv } from './test-app.js';

const hasher = createArgon2Hasher();
let counter = 0;

export interface TestUser {
  user: User;
  password: string;
}

export async function createUser(
  env: TestEnv,
  overrides: { role?: Role; isActive?: boolean; password?: string; username?: string } = {},
): Promise<TestUser> {
  counter += 1;
  const username = overrides.username ?? `user${counter}_${randomBytes(3).toString('hex')}`;
  const password = overrides.password ?? `pw-${randomBytes(9).toString('base64url')}`;
  rememberSecret(password);
  const user = await env.app.services.repos.users.create(
    {
      username,
      email: `${username}@nas.local`,
      passwordHash: await hasher.hash(password),
      role: overrides.role ?? 'user',
      isActive: overrides.isActive ?? true,
    },
    new Date(),
  );
  return { user, password };
}

export interface LoginResult {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  token_type: string;
  user: Record<string, unknown>;
}

export async function login(env: TestEnv, username: string, password: string): Promise<LoginResult> {
  const res = await env.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } });
  if (res.statusCode !== 200) throw new Error(`login as ${username} failed: ${res.statusCode} ${res.body}`);
  const result = res.json<LoginResult>();
  rememberSecret(password, result.access_token, result.refresh_token);
  return result;
}

export async function createLoggedInUser(env: TestEnv, overrides: Parameters<typeof createUser>[1] = {}) {
  const created = await createUser(env, overrides);
  const tokens = await login(env, created.user.username, created.password);
  return { ...created, tokens, headers: bearer(tokens.access_token) };
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}
