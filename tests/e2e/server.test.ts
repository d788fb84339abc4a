import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/pg-cluster.js';
import { createThrowawayDatabase } from '../helpers/postgres.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';

describe('server process', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()?.();
  });

  async function tempDir(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'baluhost-e2e-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    return dir;
  }

  function track(server: ServerProcess): ServerProcess {
    cleanups.push(async () => {
      if (server.child.exitCode === null) server.child.kill('SIGKILL');
      await server.exited;
    });
    return server;
  }

  it('on a fresh data dir, prints the URL and a one-time admin password that logs in [sqlite]', async () => {
    const port = await freePort();
    const server = track(startServerProcess({ BALUHOST_DATA_DIR: await tempDir(), PORT: String(port) }));
    const [, url] = await server.waitFor(/running at (http:\/\/\S+)/);
    const [, username, password] = await server.waitFor(/Username: (\S+)\s+Password: (\S+)/);
    expect(url).toBe(`http://127.0.0.1:${port}`);
    expect(username).toBe('admin');

    expect(await (await fetch(`${url}/api/health`)).json()).toMatchObject({ status: 'ok' });
    const login = await fetch(`${url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    expect(login.status).toBe(200);
    const { access_token } = (await login.json()) as { access_token: string };
    const me = await fetch(`${url}/api/auth/me`, { headers: { authorization: `Bearer ${access_token}` } });
    expect(((await me.json()) as { role: string }).role).toBe('admin');
    // The password appears in the banner only, never in a JSON log line.
    const logLines = server
      .stdout()
      .split('\n')
      .filter((l) => l.startsWith('{'));
    expect(logLines.some((l) => l.includes(password as string))).toBe(false);
  });

  it('does not create a second admin or print a password on the next start', async () => {
    const dir = await tempDir();
    const first = track(startServerProcess({ BALUHOST_DATA_DIR: dir, PORT: String(await freePort()) }));
    await first.waitFor(/Password: /);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    const second = track(startServerProcess({ BALUHOST_DATA_DIR: dir, PORT: String(await freePort()) }));
    await second.waitFor(/running at/);
    expect(second.stdout()).not.toContain('Password:');
  });

  it('on SIGTERM finishes the request in flight, then exits 0', async () => {
    const port = await freePort();
    const server = track(
      startServerProcess({ BALUHOST_DATA_DIR: await tempDir(), PORT: String(port), BALUHOST_ADMIN_PASSWORD: 'first-owner-passphrase' }),
    );
    await server.waitFor(/running at/);

    // A login whose body arrives in two halves: the request is in flight when SIGTERM lands.
    const body = JSON.stringify({ username: 'admin', password: 'first-owner-passphrase' });
    const socket = connect(port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    let response = '';
    socket.on('data', (d) => (response += d.toString()));
    const closed = new Promise((r) => socket.once('close', r));
    socket.write(
      `POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
    );
    socket.write(body.slice(0, 10));
    // In flight = the gauge counts it (plus the /metrics request asking).
    let inFlight = false;
    for (let i = 0; i < 100 && !inFlight; i += 1) {
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      inFlight = /^baluhost_http_requests_in_flight\{[^}]*\} 2$/m.test(metrics);
      if (!inFlight) await new Promise((r) => setTimeout(r, 50));
    }
    expect(inFlight).toBe(true);

    server.child.kill('SIGTERM');
    await server.waitFor(/draining in-flight requests/);
    socket.write(body.slice(10));
    await closed;

    expect(response).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(response).toContain('"access_token"');
    expect(await server.exited).toBe(0);
    expect(server.stdout()).toContain('shutdown complete');
  });

  it('refuses to start on bad configuration, naming every bad key', async () => {
    const server = track(
      startServerProcess({ BALUHOST_DATA_DIR: await tempDir(), PORT: 'x', LOG_LEVEL: 'chatty', NODE_ENV: 'production' }),
    );
    expect(await server.exited).toBe(1);
    const err = server.stderr();
    expect(err).toMatch(/^ERROR \(ConfigError\): Invalid configuration/);
    for (const key of ['PORT', 'LOG_LEVEL', 'BALUHOST_SECRET_KEY']) expect(err).toContain(`- ${key}:`);
  });

  it('refuses to start on a PostgreSQL database with pending migrations, naming the command to run [postgres]', async () => {
    const db = await createThrowawayDatabase();
    cleanups.push(() => db.drop());
    const server = track(
      startServerProcess({
        BALUHOST_DATA_DIR: await tempDir(),
        PORT: String(await freePort()),
        DATABASE_URL: db.url,
        BALUHOST_SECRET_KEY: 's'.repeat(10) + 'abcdefghijklmnopqrstuvwxyz',
      }),
    );
    expect(await server.exited).toBe(1);
    expect(server.stderr()).toMatch(/ERROR \(SchemaVersionError\): .*pending migration.*npm run db:migrate/);
  });
});
