/**
 * deployment/docker/docker-compose.yml on a real engine, with the commands docs/DOCKER_DEPLOYMENT.md
 * gives: app and PostgreSQL come up healthy, a user and a file survive `down` and `up`.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, waitForHttp } from '../helpers/api-client.js';
import { containerImages } from '../helpers/container-images.js';
import { docker } from '../helpers/docker-engine.js';
import { freePorts } from '../helpers/nginx.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const COMPOSE_DIR = join(ROOT, 'deployment/docker');
const project = `bhcompose${randomBytes(3).toString('hex')}`;
let env: Record<string, string>;
let work: string;

async function documentedCompose(): Promise<{ envLine: string; commands: string[] }> {
  const doc = await readFile(join(ROOT, 'docs/DOCKER_DEPLOYMENT.md'), 'utf8');
  const block = /```sh\n(cd deployment\/docker\n[\s\S]*?)```/.exec(doc)?.[1];
  if (!block) throw new Error('docs/DOCKER_DEPLOYMENT.md has no compose block starting with `cd deployment/docker`');
  const lines = block.trim().split('\n').slice(1);
  return { envLine: lines[0] as string, commands: lines.slice(1) };
}

/** A documented line, run in the compose folder as its own project, with this test's variables. */
function sh(line: string) {
  return run('bash', ['-euo', 'pipefail', '-c', line.replaceAll('docker-compose ', `docker-compose -p ${project} `)], {
    cwd: COMPOSE_DIR,
    env,
    maxBuffer: 64 * 1024 * 1024,
  });
}

beforeAll(async () => {
  await containerImages();
  work = await mkdtemp(join(tmpdir(), 'baluhost-compose-'));
  const { envLine } = await documentedCompose();
  // The documented .env, written where it cannot clobber an operator's own, then read as variables.
  await run('bash', ['-euo', 'pipefail', '-c', envLine], { cwd: work });
  const written = await readFile(join(work, '.env'), 'utf8');
  const [port] = (await freePorts(1)) as [number];
  env = {
    PATH: process.env['PATH'] ?? '',
    HOME: process.env['HOME'] ?? '/root',
    ...Object.fromEntries(
      written
        .trim()
        .split('\n')
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    ),
    BALUHOST_HTTP_PORT: String(port),
  };
}, 30 * 60_000);

afterAll(async () => {
  await run('docker-compose', ['-p', project, 'down', '-v', '--remove-orphans'], { cwd: COMPOSE_DIR, env }).catch(() => undefined);
  await rm(work, { recursive: true, force: true });
}, 120_000);

describe('docker-compose: BaluHost and PostgreSQL', () => {
  it('comes up healthy as documented, and keeps users and files across down and up', async () => {
    expect(Object.keys(env)).toEqual(expect.arrayContaining(['BALUHOST_SECRET_KEY', 'POSTGRES_PASSWORD']));
    const { commands } = await documentedCompose();
    const outputs: string[] = [];
    for (const line of commands.slice(0, 1)) outputs.push((await sh(line)).stdout);
    const port = Number(env['BALUHOST_HTTP_PORT']);
    await waitForHttp(`http://127.0.0.1:${port}/api/ready`, 120_000);
    for (const service of ['app', 'db']) {
      const ids = (await sh(`docker-compose ps -q ${service}`)).stdout.trim();
      for (let i = 0; i < 120; i++) {
        const health = (await docker(['inspect', '--format', '{{.State.Health.Status}}', ids])).stdout.trim();
        if (health === 'healthy') break;
        await new Promise((r) => setTimeout(r, 500));
      }
      expect((await docker(['inspect', '--format', '{{.State.Health.Status}}', ids])).stdout.trim()).toBe('healthy');
    }
    expect((await sh(commands[1] as string)).stdout).toMatch(/app_1 .*Up \(healthy\)/);
    const banner = (await sh(commands[2] as string)).stdout;
    const password = /Password: (\S+)/.exec(banner)?.[1] as string;
    expect(password, banner).toBeTruthy();
    // PostgreSQL publishes nothing: only the API's loopback port is bound on the host.
    const dbId = (await sh('docker-compose ps -q db')).stdout.trim();
    expect((await docker(['port', dbId])).stdout.trim()).toBe('');

    const api = apiClient(port);
    let token = await api.login('admin', password);
    const created = await api.json('POST', '/api/users/', token, { username: 'carol', password: 'Garden-Compose-Pass-9', role: 'user' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const carol = await api.login('carol', 'Garden-Compose-Pass-9');
    expect(await api.upload(carol, '', 'kept.txt', Buffer.from('still here after a restart'))).toBe(200);

    await sh('docker-compose down');
    await sh('docker-compose up -d');
    await waitForHttp(`http://127.0.0.1:${port}/api/ready`, 120_000);
    token = await api.login('carol', 'Garden-Compose-Pass-9');
    expect(await api.listNames(token)).toContain('kept.txt');
  }, 600_000);
});
