/* eslint-disable @typescript-eslint/no-explicit-any -- the migrator works on any schema, including one newer than this build */
import { operatorCommand } from '../lib/operator-commands.js';
import { inspect } from 'node:util';
import { Migrator, type Kysely, type MigrationResult } from 'kysely';
import { SchemaVersionError } from '../errors/index.js';
import type { Dialect } from './database.js';
import { migrationDefinitions } from './migrations/index.js';

export interface SchemaStatus {
  applied: string[];
  pending: string[];
  /** Applied migrations this build does not know: the database was migrated by a newer release. */
  unknown: string[];
  current: boolean;
}

export function createMigrator(db: Kysely<any>, dialect: Dialect): Migrator {
  const migrations = Object.fromEntries(Object.entries(migrationDefinitions).map(([name, define]) => [name, define(dialect)]));
  return new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
  });
}

export async function schemaStatus(db: Kysely<any>, dialect: Dialect): Promise<SchemaStatus> {
  const known = Object.keys(migrationDefinitions);
  const migrations = await createMigrator(db, dialect).getMigrations();
  const applied = migrations.filter((m) => m.executedAt !== undefined).map((m) => m.name);
  const pending = migrations.filter((m) => m.executedAt === undefined).map((m) => m.name);
  const unknown = await appliedButUnknown(db, known);
  return { applied, pending, unknown, current: pending.length === 0 && unknown.length === 0 };
}

async function appliedButUnknown(db: Kysely<any>, known: string[]): Promise<string[]> {
  const tables = await db.introspection.getTables({ withInternalKyselyTables: true });
  if (!tables.some((t) => t.name === 'kysely_migration')) return [];
  const rows = (await (db as Kysely<{ kysely_migration: { name: string } }>).selectFrom('kysely_migration').select('name').execute()) as {
    name: string;
  }[];
  return rows.map((r) => r.name).filter((name) => !known.includes(name));
}

function unwrap(results: MigrationResult[] | undefined, error: unknown, action: string): string[] {
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    const cause = error instanceof Error ? error.message : inspect(error);
    throw new Error(`Migration ${action} failed${failed ? ` at ${failed}` : ''}: ${cause}`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Applies every pending migration; returns the names applied. */
export async function migrateToLatest(db: Kysely<any>, dialect: Dialect): Promise<string[]> {
  await assertNotNewer(db, dialect);
  const { results, error } = await createMigrator(db, dialect).migrateToLatest();
  return unwrap(results, error, 'up');
}

/** Reverts the most recent migration; returns the names reverted. */
export async function migrateDown(db: Kysely<any>, dialect: Dialect): Promise<string[]> {
  await assertNotNewer(db, dialect);
  const { results, error } = await createMigrator(db, dialect).migrateDown();
  return unwrap(results, error, 'down');
}

async function assertNotNewer(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const status = await schemaStatus(db, dialect);
  if (status.unknown.length > 0) {
    throw new SchemaVersionError(
      `Database schema is newer than this BaluHost build (unknown migrations: ${status.unknown.join(', ')}). Upgrade BaluHost or restore a matching backup.`,
    );
  }
}

/**
 * Start-up policy: refuse a newer schema, migrate an older one only when allowed, otherwise refuse
 * with the command that fixes it.
 */
export async function prepareSchema(db: Kysely<any>, dialect: Dialect, autoMigrate: boolean): Promise<string[]> {
  const status = await schemaStatus(db, dialect);
  if (status.unknown.length > 0) await assertNotNewer(db, dialect);
  if (status.pending.length === 0) return [];
  if (!autoMigrate) {
    throw new SchemaVersionError(
      `Database has ${status.pending.length} pending migration(s) (${status.pending.join(', ')}). Run \`${operatorCommand('migrate')}\` or set BALUHOST_AUTO_MIGRATE=true.`,
    );
  }
  return migrateToLatest(db, dialect);
}
