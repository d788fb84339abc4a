import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { DATA_TABLES, type DB } from '../db/index.js';
import { sha256File } from './checksum.js';

export const MANIFEST_FORMAT = 'baluhost-backup/1';
export const MANIFEST_FILE = 'manifest.json';

export interface ManifestMember {
  path: string;
  sha256: string;
  size: number;
}

export interface BackupManifest {
  format: typeof MANIFEST_FORMAT;
  app_version: string;
  created_at: string;
  engine: 'sqlite' | 'postgres';
  /** Applied migrations at dump time: a restore refuses a schema this build does not know. */
  schema: string[];
  backup_type: string;
  includes: { database: boolean; files: boolean; config: boolean };
  row_counts: Record<string, number>;
  /** Per-table row count and content digest of the dump (see data-safety/canonical-hash.ts). */
  digests: Record<string, { rows: number; hash: string }>;
  members: ManifestMember[];
}

export async function rowCounts(db: Kysely<DB>): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of DATA_TABLES) {
    const result = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)}`.execute(db);
    counts[table] = Number(result.rows[0]?.n ?? 0);
  }
  return counts;
}

export async function describeMember(dir: string, path: string): Promise<ManifestMember> {
  const { size } = await stat(join(dir, path));
  return { path, sha256: await sha256File(join(dir, path)), size };
}

/** Reads the manifest of an extracted backup and checks every member's hash; throws naming the first mismatch. */
export async function readVerifiedManifest(dir: string): Promise<BackupManifest> {
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8')) as BackupManifest;
  } catch (err) {
    throw new Error(`Backup has no readable ${MANIFEST_FILE}: ${(err as Error).message}`);
  }
  if (manifest.format !== MANIFEST_FORMAT) throw new Error(`Unsupported backup format: ${String(manifest.format)}`);
  for (const member of manifest.members) {
    const actual = await sha256File(join(dir, member.path)).catch(() => null);
    if (actual !== member.sha256) throw new Error(`Backup member ${member.path} does not match its checksum`);
  }
  return manifest;
}
