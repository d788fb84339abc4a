import { randomBytes } from 'node:crypto';
import type { Clock, PasswordHasher, Repositories, TransactionRunner } from '../repositories/index.js';
import { assertPasswordAllowed } from './password-policy.js';

export interface FirstAdminResult {
  created: boolean;
  username: string;
  /** Set only when the password was generated here: the caller prints it once. */
  generatedPassword: string | null;
}

/**
 * On a fresh database, creates the first admin. The password comes from config or is generated;
 * a generated one is returned exactly once and never stored in clear.
 */
export async function ensureFirstAdmin(
  deps: { transaction: TransactionRunner; hasher: PasswordHasher; clock: Clock },
  options: { username: string; password: string | null },
): Promise<FirstAdminResult> {
  const password = options.password ?? randomBytes(18).toString('base64url');
  const generated = options.password === null ? password : null;
  assertPasswordAllowed(password, options.username, ['BALUHOST_ADMIN_PASSWORD']);
  const passwordHash = await deps.hasher.hash(password);
  return deps.transaction(async (r: Repositories) => {
    if ((await r.users.count()) > 0) return { created: false, username: options.username, generatedPassword: null };
    await r.users.create({ username: options.username, email: '', passwordHash, role: 'admin', isActive: true }, deps.clock.now());
    return { created: true, username: options.username, generatedPassword: generated };
  });
}
