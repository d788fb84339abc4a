import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import pg from 'pg';
import type { Database } from '../db/index.js';
import type { Storage } from '../repositories/storage.js';
import { schemaStatus } from '../db/index.js';
import { migrationDefinitions } from '../db/migrations/index.js';
import { AppError } from '../errors/index.js';
import { createArchive, DamagedArchiveError, extractArchive, inspectArchive } from './archive.js';
import { sha256File } from './checksum.js';
import { dumpDatabase, type DumpTarget } from './database-dump.js';
import { digestPostgres, digestSqliteFile, type Digests } from './digests.js';
import {
  describeMember,
  MANIFEST_FILE,
  MANIFEST_FORMAT,
  readVerifiedManifest,
  rowCounts,
  type BackupManifest,
  type ManifestMember,
} from './manifest.js';

export const DUMP_NAME = { sqlite: 'database.sqlite', postgres: 'database.pgdump' } as const;
export const FILES_NAME = 'files.tar.gz';
export const CONFIG_NAME = 'config.json';

export interface WriteArchiveOptions {
  database: Database;
  dumpTarget: DumpTarget;
  outFile: string;
  backupType: string;
  includes: { database: boolean; files: boolean; config: boolean };
  /** Where users' folders live, for backups that include files. */
  storage?: Pick<Storage, 'root' | 'homeFolders'>;
  appVersion: string;
  configSnapshot?: Record<string, unknown>;
}

export interface WrittenArchive {
  file: string;
  sha256: string;
  size: number;
  manifest: BackupManifest;
}

/**
 * Dumps the database on a PostgreSQL snapshot and digests that same snapshot, so the manifest
 * describes exactly the bytes in the dump.
 */
async function dumpWithDigests(target: DumpTarget, dumpFile: string): Promise<Digests> {
  if (target.kind === 'sqlite') {
    await dumpDatabase(target, dumpFile);
    return digestSqliteFile(dumpFile);
  }
  const client = new pg.Client({ connectionString: target.location, application_name: 'baluhost-backup' });
  await client.connect();
  try {
    await client.query('begin isolation level repeatable read read only');
    const snapshot = (await client.query<{ id: string }>('select pg_export_snapshot() as id')).rows[0]?.id as string;
    // pg_dump imports the snapshot while this transaction, which keeps it alive, digests it.
    const [digests] = await Promise.all([digestPostgres(client), dumpDatabase(target, dumpFile, snapshot)]);
    await client.query('commit');
    return digests;
  } finally {
    await client.end();
  }
}

/**
 * Writes a backup archive (tar.gz): manifest, database dump, users' files, config snapshot, and
 * `<file>.sha256` beside it. Written under a temporary name and renamed, so a crash never leaves a
 * file that looks complete.
 */
export async function writeBackupArchive(options: WriteArchiveOptions): Promise<WrittenArchive> {
  const dir = dirname(options.outFile);
  const staging = join(dir, `.staging-${randomUUID()}`);
  const partial = `${options.outFile}.partial`;
  await mkdir(staging, { recursive: true });
  try {
    const members: ManifestMember[] = [];
    let digests: Digests = {};
    const { database } = options;
    if (options.includes.database) {
      const dumpName = DUMP_NAME[database.dialect];
      digests = await dumpWithDigests(options.dumpTarget, join(staging, dumpName));
      members.push(await describeMember(staging, dumpName));
    }
    if (options.includes.files && options.storage) {
      const homes = await options.storage.homeFolders();
      if (homes.length > 0) {
        await createArchive(options.storage.root, homes, join(staging, FILES_NAME));
        members.push(await describeMember(staging, FILES_NAME));
      }
    }
    if (options.includes.config) {
      await writeFile(join(staging, CONFIG_NAME), `${JSON.stringify(options.configSnapshot ?? {}, null, 2)}\n`);
      members.push(await describeMember(staging, CONFIG_NAME));
    }
    const manifest: BackupManifest = {
      format: MANIFEST_FORMAT,
      app_version: options.appVersion,
      created_at: new Date().toISOString(),
      engine: database.dialect,
      schema: (await schemaStatus(database.db, database.dialect)).applied,
      backup_type: options.backupType,
      includes: options.includes,
      row_counts: options.includes.database
        ? Object.fromEntries(Object.entries(digests).map(([t, d]) => [t, d.rows]))
        : await rowCounts(database.db),
      digests,
      members,
    };
    await writeFile(join(staging, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    await createArchive(staging, [MANIFEST_FILE, ...members.map((m) => m.path)], partial);
    await rename(partial, options.outFile);
    const sha256 = await sha256File(options.outFile);
    await writeFile(`${options.outFile}.sha256`, `${sha256}  ${basename(options.outFile)}\n`);
    return { file: options.outFile, sha256, size: (await stat(options.outFile)).size, manifest };
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * Checks an archive before anything is restored from it: whole-file checksum, member paths,
 * member checksums, and a schema this build knows. Extracts into `staging`.
 */
export async function openBackupArchive(file: string, expectedSha256: string | null, staging: string): Promise<BackupManifest> {
  const actual = await sha256File(file).catch(() => null);
  if (actual === null) throw new AppError(409, 'backup_missing', `Backup file is missing: ${file}`);
  if (expectedSha256 === null)
    throw new AppError(409, 'backup_corrupt', `No recorded checksum for ${file}; refusing to restore an unverifiable backup`);
  if (actual !== expectedSha256)
    throw new AppError(409, 'backup_corrupt', `Backup ${basename(file)} does not match its recorded checksum; refusing to restore`);
  try {
    await inspectArchive(file);
    await extractArchive(file, staging);
  } catch (err) {
    if (err instanceof DamagedArchiveError)
      throw new AppError(
        409,
        'backup_corrupt',
        `Backup ${basename(file)} is damaged and cannot be read (${err.message}), although its checksum matches: the checksum was recorded after the damage. Nothing was restored; use an older backup`,
      );
    throw new AppError(422, 'backup_unsafe', (err as Error).message);
  }
  let manifest: BackupManifest;
  try {
    manifest = await readVerifiedManifest(staging);
  } catch (err) {
    throw new AppError(409, 'backup_corrupt', (err as Error).message);
  }
  const unknown = manifest.schema.filter((name) => !(name in migrationDefinitions));
  if (unknown.length > 0)
    throw new AppError(
      409,
      'backup_schema_newer',
      `Backup was made by a newer BaluHost (migrations ${unknown.join(', ')}); upgrade before restoring`,
    );
  return manifest;
}

/** The checksum recorded in `<file>.sha256`, or null when there is none. */
export async function readChecksumFile(file: string): Promise<string | null> {
  try {
    const text = await readFile(`${file}.sha256`, 'utf8');
    return /^([0-9a-f]{64})\b/.exec(text.trim())?.[1] ?? null;
  } catch {
    return null;
  }
}
