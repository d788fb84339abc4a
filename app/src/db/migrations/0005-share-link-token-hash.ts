import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { MigrationDefinition } from './index.js';

interface Row {
  id: number;
  token_sealed: string;
}

const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Share links are looked up by the SHA-256 of their token, like refresh and reset tokens, so a copy
 * of the database opens no link. The token itself is kept sealed with the server's encryption key
 * (the web client shows a link's URL again in its list), which a migration cannot reach: existing
 * plain tokens are hashed here and sealed by the server when it starts (`sealStoredTokens`).
 *
 * Reverting this migration cannot unseal: links sealed since keep their row but no longer open on
 * an older build, which looks a token up as stored. Their owners make them again.
 */
export const shareLinkTokenHash: MigrationDefinition = () => ({
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('share_links').renameColumn('token', 'token_sealed').execute();
    await db.schema.alterTable('share_links').addColumn('token_hash', 'text').execute();
    const links = db as unknown as Kysely<{ share_links: Row & { token_hash: string | null } }>;
    for (const row of await links.selectFrom('share_links').select(['id', 'token_sealed']).execute())
      await links
        .updateTable('share_links')
        .set({ token_hash: sha256(row.token_sealed) })
        .where('id', '=', row.id)
        .execute();
    await db.schema.createIndex('share_links_token_hash_idx').on('share_links').column('token_hash').unique().execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropIndex('share_links_token_hash_idx').execute();
    await db.schema.alterTable('share_links').dropColumn('token_hash').execute();
    await db.schema.alterTable('share_links').renameColumn('token_sealed', 'token').execute();
  },
});
