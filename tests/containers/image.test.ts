/**
 * The image built from the repository's Dockerfile, run on a real Docker Engine the way
 * docs/DOCKER_DEPLOYMENT.md says: SQLite in one volume, PostgreSQL in the postgres image, the
 * `baluhost` one-off tasks, stop with an upload in flight, and the limits on what the image holds.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, waitForHttp } from '../helpers/api-client.js';
import { APP_IMAGE, POSTGRES_IMAGE, containerImages } from '../helpers/container-images.js';
import { docker, removeDockerObjects, waitHealthy } from '../helpers/docker-engine.js';
import { freePorts } from '../helpers/nginx.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const id = randomBytes(4).toString('hex');
const names = {
  sqlite: `bh-test-sqlite-${id}`,
  sqliteVolume: `bh-test-data-${id}`,
  drain: `bh-test-drain-${id}`,
  drainVolume: `bh-test-drain-${id}`,
  denied: `bh-test-denied-${id}`,
  network: `bh-test-net-${id}`,
  db: `bh-test-db-${id}`,
  pgApp: `bh-test-pgapp-${id}`,
  pgVolume: `bh-test-pgdata-${id}`,
};
const ADMIN_PASSWORD = 'Container-Test-Pass-4271';
const key = () => randomBytes(48).toString('base64url');
let work: string;

/** The sh block under a heading of docs/DOCKER_DEPLOYMENT.md. */
async function documentedBlock(heading: string): Promise<string> {
  const doc = await readFile(join(ROOT, 'docs/DOCKER_DEPLOYMENT.md'), 'utf8');
  const section = doc.slice(doc.indexOf(`## ${heading}\n`));
  const block = /```sh\n([\s\S]*?)```/.exec(section);
  if (!section || !block?.[1]) throw new Error(`docs/DOCKER_DEPLOYMENT.md has no sh block under "## ${heading}"`);
  return block[1];
}

beforeAll(async () => {
  const built = await containerImages();
  console.log(`container images (build seconds this run): ${JSON.stringify(built.seconds)}`);
  work = await mkdtemp(join(tmpdir(), 'baluhost-image-test-'));
}, 30 * 60_000);

afterAll(async () => {
  await removeDockerObjects({
    containers: [names.sqlite, names.drain, names.denied, names.pgApp, names.db],
    networks: [names.network],
    volumes: [names.sqliteVolume, names.drainVolume, names.pgVolume],
  });
  await rm(work, { recursive: true, force: true });
}, 120_000);

describe('the image', () => {
  it('holds no Pulumi, TypeScript, test or build tooling and stays within 350 MB', async () => {
    const size = Number((await docker(['image', 'inspect', '--format', '{{.Size}}', APP_IMAGE])).stdout.trim());
    const layers = (await docker(['history', '--format', '{{.Size}}\t{{.CreatedBy}}', APP_IMAGE])).stdout.trim().split('\n');
    console.log(
      `image ${APP_IMAGE}: ${(size / 1e6).toFixed(1)} MB, ${layers.length} layers\n${layers.map((l) => `  ${l.slice(0, 110)}`).join('\n')}`,
    );
    expect(size).toBeLessThanOrEqual(350e6);
    const probe = await docker([
      'run',
      '--rm',
      '--entrypoint',
      'sh',
      APP_IMAGE,
      '-c',
      'for p in @pulumi typescript tsx vitest eslint prettier @stryker-mutator ssh2 handlebars zx; do [ -e node_modules/$p ] && echo "present: $p"; done; for t in gcc g++ make python3 tsc; do command -v $t >/dev/null && echo "present: $t"; done; id -u; for t in pg_dump pg_restore baluhost; do command -v $t; done',
    ]);
    expect(probe.stdout).not.toContain('present:');
    expect(probe.stdout.split('\n')).toEqual([
      '10001',
      '/usr/local/bin/pg_dump',
      '/usr/local/bin/pg_restore',
      '/usr/local/bin/baluhost',
      '',
    ]);
  });

  it('runs on SQLite in one volume exactly as docs/DOCKER_DEPLOYMENT.md says, healthy, and serves its first admin', async () => {
    const [port] = (await freePorts(1)) as [number];
    const script = (await documentedBlock('Run the image by hand'))
      .replaceAll('baluhost-app:local', APP_IMAGE)
      .replaceAll('baluhost-data', names.sqliteVolume)
      .replaceAll('--name baluhost ', `--name ${names.sqlite} `)
      .replaceAll('docker logs baluhost ', `docker logs ${names.sqlite} `)
      .replaceAll('127.0.0.1:8080', `127.0.0.1:${port}`);
    // The last line greps the banner, which appears once the server is up: wait for it.
    const [setup, grep] = [script.split('\n').slice(0, -2).join('\n'), script.split('\n').at(-2) as string];
    const first = await run('bash', ['-euo', 'pipefail', '-c', setup], { cwd: work });
    expect(first.stdout).toContain('Applied: 0001-initial-schema');
    await waitHealthy(names.sqlite);
    const banner = (await run('bash', ['-euo', 'pipefail', '-c', grep], { cwd: work })).stdout;
    const password = /Password: (\S+)/.exec(banner)?.[1];
    expect(password, banner).toBeTruthy();
    const api = apiClient(port);
    const token = await api.login('admin', password as string);
    expect(await api.upload(token, '', 'hello.txt', Buffer.from('hello from a container'))).toBe(200);
    expect(await api.listNames(token)).toContain('hello.txt');
    const inspect = JSON.parse((await docker(['inspect', names.sqlite])).stdout) as {
      Config: { User: string };
      HostConfig: { RestartPolicy: { Name: string } };
    }[];
    expect(inspect[0]?.Config.User).toBe('baluhost');
    expect(inspect[0]?.HostConfig.RestartPolicy.Name).toBe('unless-stopped');
    // The admin tasks, in the serving container, named as every hint names them.
    const backup = await docker(['exec', names.sqlite, 'baluhost', 'backup']);
    expect(backup.stdout).toMatch(/Backup written: \/var\/lib\/baluhost\/backups\/baluhost-database-.*engine sqlite/);
    expect(backup.stdout).toContain('Verified: restored into a scratch database');
    const reset = await docker(['exec', names.sqlite, 'baluhost', 'reset-password', '--user', 'admin']);
    const fresh = /New password for admin: (\S+)/.exec(reset.stdout)?.[1] as string;
    await api.login('admin', fresh);
    const unknown = await docker(['exec', names.sqlite, 'baluhost', 'format-disk'], { allowFailure: true });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown task "format-disk"');
  }, 180_000);

  it('names the folder and the owner when a mounted folder is not writable by uid 10001', async () => {
    const folder = await mkdtemp(join(work, 'root-owned-'));
    const result = await docker(
      ['run', '--rm', '--name', names.denied, '-e', `BALUHOST_SECRET_KEY=${key()}`, '-v', `${folder}:/var/lib/baluhost`, APP_IMAGE],
      { allowFailure: true },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'ERROR (FolderAccessError): BALUHOST_DATA_DIR /var/lib/baluhost is not writable by this process (uid 10001',
    );
    expect(result.stderr).toContain('belongs to uid 0, gid 0');
    expect(result.stderr).toContain('chown -R 10001:10001');
  });

  it('refuses to start on an unmigrated production database, naming the command that works in the image', async () => {
    const result = await docker(['run', '--rm', '--name', names.denied, '-e', `BALUHOST_SECRET_KEY=${key()}`, APP_IMAGE], {
      allowFailure: true,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/ERROR \(SchemaVersionError\): Database has \d+ pending migration\(s\).*Run `baluhost migrate`/);
  });

  it('finishes an upload in flight when stopped, within the stop grace, and exits 0', async () => {
    const [port] = (await freePorts(1)) as [number];
    const env = [
      '-e',
      `BALUHOST_SECRET_KEY=${key()}`,
      '-e',
      `BALUHOST_ADMIN_PASSWORD=${ADMIN_PASSWORD}`,
      '-e',
      'BALUHOST_AUTO_MIGRATE=true',
    ];
    const volume = ['-v', `${names.drainVolume}:/var/lib/baluhost`];
    await docker([
      'run',
      '-d',
      '--name',
      names.drain,
      '--stop-timeout',
      '30',
      ...env,
      ...volume,
      '-p',
      `127.0.0.1:${port}:8000`,
      APP_IMAGE,
    ]);
    await waitForHttp(`http://127.0.0.1:${port}/api/ready`);
    const api = apiClient(port);
    const token = await api.login('admin', ADMIN_PASSWORD);
    const content = randomBytes(4 * 1024 * 1024);
    const uploading = api.upload(token, '', 'in-flight.bin', content, 4000);
    await new Promise((r) => setTimeout(r, 1000));
    const started = Date.now();
    await docker(['stop', names.drain]);
    const stopSeconds = (Date.now() - started) / 1000;
    expect(await uploading).toBe(200);
    const state = (await docker(['inspect', '--format', '{{.State.ExitCode}}', names.drain])).stdout.trim();
    console.log(`docker stop with an upload in flight: ${stopSeconds.toFixed(1)} s, exit ${state}`);
    expect(state).toBe('0');
    expect(stopSeconds).toBeLessThan(30);
    await docker(['start', names.drain]);
    await waitForHttp(`http://127.0.0.1:${port}/api/ready`);
    expect(await api.listNames(await api.login('admin', ADMIN_PASSWORD))).toContain('in-flight.bin');
  }, 120_000);

  it('runs on PostgreSQL: one-off migration, backups with the tools it ships, a clear error (no exit) for a tools container it cannot reach', async () => {
    const dbPassword = randomBytes(12).toString('hex');
    const url = `postgres://baluhost:${dbPassword}@${names.db}:5432/baluhost`;
    await docker(['network', 'create', '--internal', names.network]);
    await docker([
      'run',
      '-d',
      '--name',
      names.db,
      '--network',
      names.network,
      '-e',
      'POSTGRES_USER=baluhost',
      '-e',
      `POSTGRES_PASSWORD=${dbPassword}`,
      '-e',
      'POSTGRES_DB=baluhost',
      POSTGRES_IMAGE,
    ]);
    for (let i = 0; i < 60; i++) {
      if ((await docker(['exec', names.db, 'pg_isready', '-U', 'baluhost', '-d', 'baluhost'], { allowFailure: true })).code === 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const secret = key();
    const env = ['-e', `DATABASE_URL=${url}`, '-e', `BALUHOST_SECRET_KEY=${secret}`];
    const oneOff = (...args: string[]) =>
      docker(
        ['run', '--rm', '--network', names.network, ...env, '-v', `${names.pgVolume}:/var/lib/baluhost`, APP_IMAGE, 'baluhost', ...args],
        {
          allowFailure: true,
        },
      );
    const migrated = await oneOff('migrate');
    expect(migrated.stdout).toContain('Applied: 0001-initial-schema');

    // Misconfigured: the tools container setting, in an image that has no docker client.
    const [port] = (await freePorts(1)) as [number];
    await docker([
      'create',
      '--name',
      names.pgApp,
      '--network',
      names.network,
      ...env,
      '-e',
      `BALUHOST_ADMIN_PASSWORD=${ADMIN_PASSWORD}`,
      '-e',
      `BALUHOST_PG_TOOLS_CONTAINER=${names.db}`,
      '-p',
      `127.0.0.1:${port}:8000`,
      APP_IMAGE,
    ]);
    // Published ports need a network Docker publishes on: the internal one holds only the database.
    await docker(['network', 'connect', 'bridge', names.pgApp]);
    await docker(['start', names.pgApp]);
    await waitForHttp(`http://127.0.0.1:${port}/api/ready`);
    const api = apiClient(port);
    const token = await api.login('admin', ADMIN_PASSWORD);
    const created = await api.json('POST', '/api/backups/', token, { backup_type: 'database_only' });
    expect(created.status).toBe(202);
    let record: { status: string; error_message: string | null } | undefined;
    for (let i = 0; i < 50 && record?.status !== 'failed'; i++) {
      await new Promise((r) => setTimeout(r, 200));
      const list = (await api.json('GET', '/api/backups/', token)).body as {
        backups: { id: number; status: string; error_message: string | null }[];
      };
      record = list.backups.find((b) => b.id === (created.body as { id: number }).id);
    }
    expect(record?.status).toBe('failed');
    expect(record?.error_message).toContain('BALUHOST_PG_TOOLS_CONTAINER is set, but there is no docker client');
    expect((await docker(['inspect', '--format', '{{.State.Running}}', names.pgApp])).stdout.trim()).toBe('true');
    expect((await fetch(`http://127.0.0.1:${port}/api/health`)).status).toBe(200);

    // With the image's own tools: a verified backup, then a restore of it.
    const backup = await oneOff('backup');
    expect(backup.stdout, backup.stderr).toMatch(/Backup written: (\S+) .*engine postgres/);
    expect(backup.stdout).toContain('Verified: restored into a scratch database');
    const file = /Backup written: (\S+)/.exec(backup.stdout)?.[1] as string;
    const restored = await oneOff('restore', '--backup', file, '--yes');
    expect(restored.stdout, restored.stderr).toMatch(/Restored \d+ rows from/);
    expect(restored.stdout).toContain('To undo: baluhost restore --backup');

    // The stand-in keeps the official image's stop contract: SIGINT, a fast shutdown, exit 0.
    await docker(['stop', names.db]);
    expect((await docker(['inspect', '--format', '{{.State.ExitCode}}', names.db])).stdout.trim()).toBe('0');
    expect((await docker(['logs', names.db])).stderr).toContain('received fast shutdown request');
  }, 240_000);
});
