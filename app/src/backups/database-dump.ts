import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import SqliteDriver from 'better-sqlite3';
import { sql } from 'kysely';
import type { DatabaseConfig } from '../config/index.js';
import { DATA_TABLES, MIGRATION_TABLES, type Database } from '../db/index.js';
import { createBackupsRepository } from '../repositories/backups.repository.js';

const run = promisify(execFile);

/**
 * libpq settings from a connection URL, passed through the environment so the password never
 * appears on a command line (where `ps` shows it to every local user).
 */
export function libpqEnv(url: string): Record<string, string> {
  const u = new URL(url);
  const env: Record<string, string> = {
    PGHOST: decodeURIComponent(u.hostname) || 'localhost',
    PGPORT: u.port || '5432',
    PGDATABASE: decodeURIComponent(u.pathname.replace(/^\//, '')) || 'postgres',
  };
  if (u.username) env['PGUSER'] = decodeURIComponent(u.username);
  if (u.password) env['PGPASSWORD'] = decodeURIComponent(u.password);
  const sslmode = u.searchParams.get('sslmode');
  if (sslmode) env['PGSSLMODE'] = sslmode;
  return env;
}

/** argv for a custom-format dump: compressed, restorable table by table, no owners or grants. */
export function pgDumpArgs(outFile: string, snapshot?: string): string[] {
  return ['--format=custom', '--no-owner', '--no-privileges', ...(snapshot ? ['--snapshot', snapshot] : []), '--file', outFile];
}

/**
 * The same dump run inside the PostgreSQL container (`docker exec`), for hosts without client
 * tools. The password travels as `-e PGPASSWORD` (name only: docker copies the value from the
 * environment), never in argv; the dump comes back on stdout.
 */
export function dockerPgDumpArgv(container: string, env: Record<string, string>, snapshot?: string): string[] {
  const passEnv = Object.keys(env).flatMap((name) => ['-e', name]);
  return [
    'docker',
    'exec',
    '-i',
    ...passEnv,
    container,
    'pg_dump',
    '--format=custom',
    '--no-owner',
    '--no-privileges',
    ...(snapshot ? ['--snapshot', snapshot] : []),
  ];
}

/** pg_restore in the container, reading the dump on stdin. */
export function dockerPgRestoreArgv(container: string, env: Record<string, string>, database: string): string[] {
  const passEnv = Object.keys(env).flatMap((name) => ['-e', name]);
  return ['docker', 'exec', '-i', ...passEnv, container, 'pg_restore', ...pgRestoreArgs('', database).slice(0, -1)];
}

/** Inside the database container the server is reached over its own socket, not the app's network address. */
function containerEnv(url: string): Record<string, string> {
  return { ...libpqEnv(url), PGHOST: '/var/run/postgresql', PGPORT: '5432' };
}

/** Runs argv with a file as stdin or stdout; fails with the tool's last stderr lines. */
async function runStreaming(argv: string[], env: Record<string, string>, io: { stdinFile?: string; stdoutFile?: string }): Promise<void> {
  const { spawn } = await import('node:child_process');
  const { createReadStream, createWriteStream } = await import('node:fs');
  const { pipeline } = await import('node:stream/promises');
  const child = spawn(argv[0] as string, argv.slice(1), { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // A missing binary (no docker client where BALUHOST_PG_TOOLS_CONTAINER points) is an 'error'
  // event, not an exit: without this listener it would end the server.
  const exited = new Promise<number | null>((done, fail) => {
    child.once('close', done);
    child.once('error', (err) => fail(new DumpToolError(argv[0] as string, err)));
  });
  const pumps: Promise<void>[] = [];
  if (io.stdinFile) pumps.push(pipeline(createReadStream(io.stdinFile), child.stdin));
  else child.stdin.end();
  if (io.stdoutFile) pumps.push(pipeline(child.stdout, createWriteStream(io.stdoutFile)));
  else child.stdout.resume();
  const [code] = await Promise.all([exited, ...pumps.map((p) => p.catch(() => undefined))]).catch((err: unknown) => {
    child.stdin.destroy();
    throw err;
  });
  if (code !== 0) throw new DumpToolError(argv.slice(0, 2).join(' '), { code, stderr });
}

/** argv for restoring a dump over the current database in one transaction. */
export function pgRestoreArgs(dumpFile: string, database: string): string[] {
  return [
    '--clean',
    '--if-exists',
    '--no-owner',
    '--no-privileges',
    '--single-transaction',
    '--exit-on-error',
    '--dbname',
    database,
    dumpFile,
  ];
}

export class DumpToolError extends Error {
  constructor(tool: string, err: unknown) {
    const e = err as { code?: number | string; stderr?: string; message?: string };
    if (e.code === 'ENOENT') {
      super(
        tool === 'docker'
          ? 'BALUHOST_PG_TOOLS_CONTAINER is set, but there is no docker client where this server runs: unset it to use the pg_dump and pg_restore installed here (the image ships version 15)'
          : `${tool} is not installed where this server runs (not found on PATH): install the PostgreSQL client tools of the server's major version, or set BALUHOST_PG_TOOLS_CONTAINER to run them in the database container`,
      );
      this.name = 'DumpToolError';
      return;
    }
    const tail = (e.stderr ?? e.message ?? '').trim().split('\n').slice(-5).join('\n');
    super(`${tool} failed (exit ${e.code ?? '?'}): ${tail}`);
    this.name = 'DumpToolError';
  }
}

async function runTool(tool: string, args: string[], env: Record<string, string>): Promise<void> {
  try {
    await run(tool, args, { env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    throw new DumpToolError(tool, err);
  }
}

/** The database the app is configured for, as the dump tools see it. */
export function dumpTargetFor(config: DatabaseConfig): DumpTarget {
  return config.kind === 'sqlite'
    ? { kind: 'sqlite', location: config.file }
    : { kind: 'postgres', location: config.url, container: config.toolsContainer ?? null };
}

export interface DumpTarget {
  kind: 'sqlite' | 'postgres';
  /** SQLite file or PostgreSQL URL. */
  location: string;
  /** PostgreSQL only: run the client tools in this Docker container. */
  container?: string | null;
}

/**
 * A consistent copy of the live database: SQLite's online backup API (readers and writers carry on),
 * or pg_dump's snapshot.
 */
export async function dumpDatabase(target: DumpTarget, outFile: string, snapshot?: string): Promise<void> {
  if (target.kind === 'sqlite') {
    const source = new SqliteDriver(target.location, { readonly: true, fileMustExist: true });
    try {
      await source.backup(outFile);
    } finally {
      source.close();
    }
    return;
  }
  if (target.container) {
    const env = containerEnv(target.location);
    await runStreaming(dockerPgDumpArgv(target.container, env, snapshot), env, { stdoutFile: outFile });
    return;
  }
  await runTool('pg_dump', pgDumpArgs(outFile, snapshot), libpqEnv(target.location));
}

/** Tables copied back on a SQLite restore, parents before children. */
const SQLITE_RESTORE_ORDER: readonly string[] = [...MIGRATION_TABLES, ...DATA_TABLES];

/**
 * Replaces the live database's contents with a dump, all or nothing. On SQLite the rows are copied
 * from the attached dump inside one transaction on the app's own connection, so open connections
 * never see a half-restored database.
 */
export async function restoreDatabase(database: Database, target: DumpTarget, dumpFile: string): Promise<void> {
  if (target.kind === 'postgres') await restorePostgresDump(target, dumpFile);
  else await restoreSqliteDump(database, dumpFile);
}

/** pg_restore of a dump into the database `target` names, locally or in the tools container. */
export async function restorePostgresDump(target: DumpTarget, dumpFile: string): Promise<void> {
  if (target.container) {
    const env = containerEnv(target.location);
    await runStreaming(dockerPgRestoreArgv(target.container, env, env['PGDATABASE'] as string), env, { stdinFile: dumpFile });
    return;
  }
  const env = libpqEnv(target.location);
  await runTool('pg_restore', pgRestoreArgs(dumpFile, env['PGDATABASE'] as string), env);
}

/** A SQLite dump's rows copied into `database` in one transaction. */
export async function restoreSqliteDump(database: Database, dumpFile: string): Promise<void> {
  const { db } = database;
  await sql`attach database ${dumpFile} as restore_src`.execute(db);
  try {
    await db.transaction().execute(async (trx) => {
      await sql`pragma defer_foreign_keys = on`.execute(trx);
      const present = await sql<{ name: string }>`select name from restore_src.sqlite_master where type = 'table'`.execute(trx);
      const names = new Set(present.rows.map((r) => r.name));
      for (const table of [...SQLITE_RESTORE_ORDER].reverse()) await sql`delete from ${sql.table(`main.${table}`)}`.execute(trx);
      for (const table of SQLITE_RESTORE_ORDER) {
        if (names.has(table))
          await sql`insert into ${sql.table(`main.${table}`)} select * from ${sql.table(`restore_src.${table}`)}`.execute(trx);
      }
      if (names.has('sqlite_sequence')) {
        await sql`delete from main.sqlite_sequence`.execute(trx);
        await sql`insert into main.sqlite_sequence select * from restore_src.sqlite_sequence`.execute(trx);
      }
    });
  } finally {
    await sql`detach database restore_src`.execute(db);
  }
}

/**
 * restoreDatabase, keeping the `backups` table as it is now: it describes archives on disk today,
 * not at dump time (otherwise restoring would forget every newer backup).
 */
export async function restoreDatabaseKeepingCatalogue(database: Database, target: DumpTarget, dumpFile: string): Promise<void> {
  const catalogue = createBackupsRepository(database.db);
  const rows = await catalogue.snapshot();
  await restoreDatabase(database, target, dumpFile);
  await catalogue.replaceAll(rows, database.dialect);
}
