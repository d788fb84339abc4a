import type { Migration } from 'kysely';
import type { Dialect } from '../database.js';
import { initialSchema } from './0001-initial-schema.js';
import { settingsTable } from './0002-settings.js';
import { passwordResetTokens } from './0003-password-reset-tokens.js';
import { apiKeysAndReauth } from './0004-api-keys-and-reauth.js';
import { shareLinkTokenHash } from './0005-share-link-token-hash.js';
import { userAvatars } from './0006-user-avatars.js';

export type MigrationDefinition = (dialect: Dialect) => Migration;

/**
 * Every migration, in order. Append-only: a released migration is never edited; a change is a new
 * entry. The names sort lexically in the order they run.
 */
export const migrationDefinitions: Readonly<Record<string, MigrationDefinition>> = Object.freeze({
  '0001-initial-schema': initialSchema,
  '0002-settings': settingsTable,
  '0003-password-reset-tokens': passwordResetTokens,
  '0004-api-keys-and-reauth': apiKeysAndReauth,
  '0005-share-link-token-hash': shareLinkTokenHash,
  '0006-user-avatars': userAvatars,
});
