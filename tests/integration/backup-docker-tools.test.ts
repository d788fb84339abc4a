import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, migrateToLatest } from '../../app/src/db/index.js';
import { createThrowawayDatabase, type ThrowawayDatabase } from '../helpers/postgres.js';
import { runScript } from '../helpers/scripts.js';

/**
 * No Docker engine exists here, so a stand-in `docker` on PATH records its argv and runs the tool
 * the way `docker exec` would inside the database container (whose socket is the test server).
 */
const FAKE_DOCKER = `#!/bin/sh
echo "$@" >> "$FAKE_DOCKER_LOG"
[ "$1" = "exec" ] || exit 64
shift
[ "$1" = "-i" ] && shift
while [ "$1" = "-e" ]; do shift 2; done
shift
export PGHOST=127.0.0.1
exec "$@"
`;

describe('PostgreSQL tools inside the database container [postgres]', () => {
  let dir: string;
  let db: ThrowawayDatabase;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'baluhost-docker-'));
    await writeFile(join(dir, 'docker'), FAKE_DOCKER);
    await chmod(join(dir, 'docker'), 0o755);
    db = await createThrowawayDatabase();
    const database = createDatabase({
      kind: 'postgres',
      url: db.url,
      poolMax: 1,
      idleTimeoutMs: 1000,
      statementTimeoutMs: 5000,
      connectTimeoutMs: 2000,
    });
    await migrateToLatest(database.db, 'postgres');
    await database.destroy();
  });
  afterAll(async () => {
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('dumps and verifies through docker exec, passing the password by name only', async () => {
    const log = join(dir, 'docker.log');
    const url = new URL(db.url);
    url.password = 'pw-never-in-argv';
    const run = await runScript('scripts/backup-database.ts', [], {
      env: {
        PATH: `${dir}:${process.env['PATH']}`,
        FAKE_DOCKER_LOG: log,
        NODE_ENV: 'test',
        BALUHOST_DATA_DIR: dir,
        DATABASE_URL: url.toString(),
        BALUHOST_PG_TOOLS_CONTAINER: 'baluhost-db',
      },
    });
    expect(run.stderr).not.toMatch(/ERROR/);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Verified: restored into a scratch database/);
    const calls = (await readFile(log, 'utf8')).trim().split('\n');
    expect(calls.some((c) => /^exec -i (-e PG\w+ )+baluhost-db pg_dump --format=custom/.test(c))).toBe(true);
    expect(calls.some((c) => /^exec -i (-e PG\w+ )+baluhost-db pg_restore .*--single-transaction/.test(c))).toBe(true);
    expect(calls.join('\n')).toContain('-e PGPASSWORD');
    expect(calls.join('\n')).not.toContain('pw-never-in-argv');
  });
});
