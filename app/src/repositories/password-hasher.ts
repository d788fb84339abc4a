import { hash, verify } from '@node-rs/argon2';

// Algorithm.Argon2id; the package exports it as an ambient const enum, which isolated modules cannot read.
const ARGON2ID = 2;

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** Never throws on a malformed hash: returns false. */
  verify(hash: string, password: string): Promise<boolean>;
  /**
   * Burns the same time as a real verify. Called for unknown users so that "no such user" and
   * "wrong password" cannot be told apart by timing.
   */
  verifyDummy(password: string): Promise<void>;
}

/** argon2id with OWASP's baseline parameters (19 MiB, 2 passes, 1 lane). */
export function createArgon2Hasher(): PasswordHasher {
  const options = { algorithm: ARGON2ID, memoryCost: 19456, timeCost: 2, parallelism: 1 };
  let dummyHash: Promise<string> | undefined;
  return {
    hash: (password) => hash(password, options),
    async verify(stored, password) {
      try {
        return await verify(stored, password);
      } catch {
        return false;
      }
    },
    async verifyDummy(password) {
      dummyHash ??= hash('baluhost-dummy-password', options);
      await verify(await dummyHash, password).catch(() => false);
    },
  };
}
