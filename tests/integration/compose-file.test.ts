import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const FILE = 'deployment/docker/docker-compose.yml';

describe('development compose file', () => {
  it('passes docker-compose config validation', () => {
    // Throws (failing the test) on any schema error; docker-compose v1 validates offline.
    execFileSync('docker-compose', ['-f', FILE, 'config', '-q'], { stdio: 'pipe' });
  });

  it('runs PostgreSQL with a pg_isready healthcheck, published on loopback only', () => {
    const doc = parse(readFileSync(FILE, 'utf8')) as {
      services: { db: { healthcheck: { test: string[] }; ports: string[]; image: string } };
    };
    expect(doc.services.db.healthcheck.test.join(' ')).toMatch(/pg_isready/);
    expect(doc.services.db.ports.every((p) => p.startsWith('127.0.0.1:'))).toBe(true);
    expect(doc.services.db.image).toMatch(/^postgres:15/);
  });
});
