/**
 * The image recipe: dockerfilelint accepts it, it runs what the stacks expect (no Docker engine
 * here, so the compiled build it copies is built and started directly).
 */
import { execFile, spawn } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { APP_ENTRY, APP_UID, BACKUP_ENTRY, CONTAINER_APP_DIR } from '../../templates/index.js';
import { freePorts } from '../helpers/nginx.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');

describe('Dockerfile', () => {
  it('passes dockerfilelint', async () => {
    const result = await run(join(ROOT, 'node_modules/.bin/dockerfilelint'), [join(ROOT, 'Dockerfile')]).catch(
      (err: { stdout: string; code: number }) => err,
    );
    expect(result.stdout).toContain('Issues: None found');
  });

  it('builds in its own stage and runs slim Node 20 as the non-root user the host folders belong to', async () => {
    const text = await readFile(join(ROOT, 'Dockerfile'), 'utf8');
    const stages = text.match(/^FROM .+$/gm) ?? [];
    expect(stages).toEqual(['FROM node:20-bookworm-slim AS build', 'FROM node:20-bookworm-slim']);
    expect(text).toContain(`--uid ${APP_UID}`);
    expect(text).toMatch(/^USER baluhost$/m);
    expect(text).toMatch(new RegExp(`^WORKDIR ${CONTAINER_APP_DIR}$`, 'm'));
    expect(text).toContain('CMD ["baluhost", "serve"]');
    expect(text).toContain('ln -s /app/dist/scripts/baluhost.js /usr/local/bin/baluhost');
    expect(text).toMatch(/HEALTHCHECK .*CMD \["baluhost", "health"\]/);
    expect(text).not.toMatch(/^(ARG|ENV) .*(SECRET|PASSWORD|TOKEN|DATABASE_URL)/m);
  });

  it('.dockerignore keeps data, keys and env files out of the build context', async () => {
    const ignore = await readFile(join(ROOT, '.dockerignore'), 'utf8');
    expect(ignore.split('\n')[1]).toBe('*');
    for (const pattern of ['**/.env', '**/*.pem', '**/*.key', 'data/']) expect(ignore).toContain(pattern);
  });

  it('the compiled build the image copies starts the API and holds the backup entry the timers call', async () => {
    // Inside the repository, so the compiled files resolve node_modules the way /app/dist does in the image.
    const out = await mkdtemp(join(ROOT, '.test-build-'));
    const data = await mkdtemp(join(tmpdir(), 'baluhost-build-data-'));
    try {
      await run(join(ROOT, 'node_modules/.bin/tsc'), ['-p', join(ROOT, 'tsconfig.build.json'), '--outDir', out], { cwd: ROOT });
      await copyFile(join(ROOT, 'package.json'), join(out, 'package.json'));
      expect((await stat(join(out, BACKUP_ENTRY.replace(/^dist\//, '')))).isFile()).toBe(true);
      const [port] = await freePorts(1);
      const server = spawn(process.execPath, [join(out, APP_ENTRY.replace(/^dist\//, ''))], {
        env: { PATH: process.env['PATH'] ?? '', PORT: String(port), BALUHOST_DATA_DIR: data, LOG_LEVEL: 'warn' },
        stdio: 'ignore',
      });
      try {
        let body = '';
        for (let i = 0; i < 100 && !body; i++) {
          body = await fetch(`http://127.0.0.1:${port}/api/health`).then(
            (r) => r.text(),
            () => '',
          );
          if (!body) await new Promise((r) => setTimeout(r, 100));
        }
        expect(JSON.parse(body)).toMatchObject({ status: 'ok' });
      } finally {
        server.kill('SIGTERM');
      }
    } finally {
      await rm(out, { recursive: true, force: true });
      await rm(data, { recursive: true, force: true });
    }
  }, 90_000);
});
