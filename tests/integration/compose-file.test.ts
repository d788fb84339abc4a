import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const FILE = 'deployment/docker/docker-compose.yml';

interface Service {
  image: string;
  ports?: string[];
  networks: string[];
  healthcheck?: { test: string[] };
  stop_grace_period?: string;
}

describe('compose file (app and PostgreSQL)', () => {
  it('passes docker-compose config validation, and refuses to start without the database password', () => {
    const env = { PATH: process.env['PATH'] ?? '', POSTGRES_PASSWORD: 'compose-file-test', BALUHOST_SECRET_KEY: 'k'.repeat(64) };
    // Throws (failing the test) on any schema error; docker-compose v1 validates offline.
    execFileSync('docker-compose', ['-f', FILE, 'config', '-q'], { stdio: 'pipe', env });
    expect(() =>
      execFileSync('docker-compose', ['-f', FILE, 'config', '-q'], { stdio: 'pipe', env: { ...env, POSTGRES_PASSWORD: '' } }),
    ).toThrow(/set POSTGRES_PASSWORD in \.env/);
  });

  it('publishes only the API, on loopback, and keeps PostgreSQL on an internal network', () => {
    const doc = parse(readFileSync(FILE, 'utf8')) as {
      services: Record<string, Service>;
      networks: Record<string, { internal?: boolean }>;
    };
    const { db, app } = doc.services as { db: Service; app: Service };
    expect(db.ports).toBeUndefined();
    expect(db.networks).toEqual(['internal']);
    expect(doc.networks['internal']?.internal).toBe(true);
    expect(db.healthcheck?.test.join(' ')).toMatch(/pg_isready/);
    expect(db.image).toMatch(/^postgres:15/);
    expect(app.ports?.every((p) => p.startsWith('127.0.0.1:'))).toBe(true);
    expect(app.stop_grace_period).toBe('30s');
  });
});
