import type { Executor } from './users.repository.js';

export interface ApiKeyRecord {
  keyId: string;
  userId: number;
  name: string;
  secretSealed: string;
  createdAt: string;
  lastUsedAt: string | null;
}

export function createApiKeysRepository(db: Executor) {
  return {
    async create(key: { keyId: string; userId: number; name: string; secretSealed: string; now: Date }): Promise<void> {
      await db
        .insertInto('api_keys')
        .values({
          key_id: key.keyId,
          user_id: key.userId,
          name: key.name,
          secret_sealed: key.secretSealed,
          created_at: key.now.toISOString(),
        })
        .execute();
    },

    async findActive(keyId: string): Promise<ApiKeyRecord | undefined> {
      const row = await db
        .selectFrom('api_keys')
        .selectAll()
        .where('key_id', '=', keyId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return (
        row && {
          keyId: row.key_id,
          userId: row.user_id,
          name: row.name,
          secretSealed: row.secret_sealed,
          createdAt: row.created_at,
          lastUsedAt: row.last_used_at,
        }
      );
    },

    async list(): Promise<Omit<ApiKeyRecord, 'secretSealed'>[]> {
      const rows = await db
        .selectFrom('api_keys')
        .select(['key_id', 'user_id', 'name', 'created_at', 'last_used_at'])
        .where('revoked_at', 'is', null)
        .orderBy('created_at')
        .execute();
      return rows.map((r) => ({ keyId: r.key_id, userId: r.user_id, name: r.name, createdAt: r.created_at, lastUsedAt: r.last_used_at }));
    },

    async revoke(keyId: string, now: Date): Promise<boolean> {
      const result = await db
        .updateTable('api_keys')
        .set({ revoked_at: now.toISOString() })
        .where('key_id', '=', keyId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async touch(keyId: string, now: Date): Promise<void> {
      await db.updateTable('api_keys').set({ last_used_at: now.toISOString() }).where('key_id', '=', keyId).execute();
    },

    /** Remembers a request nonce for the replay window; false when it was seen before (a replay). */
    async rememberNonce(nonce: string, expiresAt: Date, now: Date): Promise<boolean> {
      await db.deleteFrom('api_key_nonces').where('expires_at', '<=', now.toISOString()).execute();
      const result = await db
        .insertInto('api_key_nonces')
        .values({ nonce, expires_at: expiresAt.toISOString() })
        .onConflict((oc) => oc.column('nonce').doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
    },
  };
}
