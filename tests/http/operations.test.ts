import { chmod } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { createLoggedInUser, login, bearer } from '../helpers/factories.js';
import { describeEachDialect } from '../helpers/test-app.js';

describeEachDialect('operations endpoints', (env) => {
  describe('/api/health', () => {
    it('answers ok with the version, without authentication', async () => {
      const res = await env().app.inject({ method: 'GET', url: '/api/health' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ status: 'ok', version: env().config.version });
    });
  });

  describe('/api/ready', () => {
    it('is ready when the database answers, the schema is current and storage is writable', async () => {
      const res = await env().app.inject({ method: 'GET', url: '/api/ready' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({
        status: 'ready',
        checks: { database: { ok: true }, migrations: { ok: true }, storage: { ok: true }, disk: { ok: true }, telemetry: { ok: true } },
      });
    });

    it('names the storage check when the storage root is not writable', async () => {
      if (process.getuid?.() === 0) {
        // root ignores permission bits; make the storage root a file instead so mkdir/write fail.
        const { rm, writeFile } = await import('node:fs/promises');
        await rm(env().config.storageRoot, { recursive: true, force: true });
        await writeFile(env().config.storageRoot, 'not a directory');
        try {
          const res = await env().app.inject({ method: 'GET', url: '/api/ready' });
          expect(res.statusCode).toBe(503);
          expect(res.json().detail).toMatch(/^Not ready: storage\b/);
          expect(res.json().checks.storage.ok).toBe(false);
          expect(res.headers['retry-after']).toBeDefined();
        } finally {
          await rm(env().config.storageRoot, { force: true });
        }
      } else {
        await chmod(env().config.storageRoot, 0o500);
        try {
          const res = await env().app.inject({ method: 'GET', url: '/api/ready' });
          expect(res.statusCode).toBe(503);
        } finally {
          await chmod(env().config.storageRoot, 0o700);
        }
      }
    });
  });

  describe('request ids', () => {
    it('generates one per request and returns it', async () => {
      const a = await env().app.inject({ method: 'GET', url: '/api/health' });
      const b = await env().app.inject({ method: 'GET', url: '/api/health' });
      expect(a.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
    });

    it("honours a sane incoming x-request-id and puts it on the request's one log line, refusals included", async () => {
      const id = 'nginx-req-0123456789abcdef';
      const res = await env().app.inject({ method: 'GET', url: '/api/auth/me', headers: { 'x-request-id': id } });
      expect(res.statusCode).toBe(401);
      expect(res.headers['x-request-id']).toBe(id);
      const lines = env().logs.entries.filter((e) => e['reqId'] === id);
      expect(lines).toEqual([expect.objectContaining({ msg: 'request completed', status: 401, code: res.json().code })]);
    });

    it('replaces an incoming id that could inject into logs or headers', async () => {
      const res = await env().app.inject({ method: 'GET', url: '/api/health', headers: { 'x-request-id': 'abc def"}\u0007' } });
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('returns the id on errors too', async () => {
      const res = await env().app.inject({ method: 'GET', url: '/api/nope', headers: { 'x-request-id': 'err-1' } });
      expect(res.statusCode).toBe(404);
      expect(res.headers['x-request-id']).toBe('err-1');
      expect(res.json().code).toBe('not_found');
    });
  });

  describe('logs', () => {
    it('never contain passwords or tokens sent in requests', async () => {
      const u = await createLoggedInUser(env());
      const secretPassword = 'secret-NEW-passphrase-9f3a';
      await env().app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: u.user.username, password: 'Wrong-but-secret-77' },
      });
      await env().app.inject({
        method: 'POST',
        url: '/api/auth/change-password',
        headers: u.headers,
        payload: { current_password: u.password, new_password: secretPassword },
      });
      const again = await login(env(), u.user.username, secretPassword);
      await env().app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refresh_token: again.refresh_token } });
      await env().app.inject({
        method: 'GET',
        url: '/api/auth/me',
        headers: { ...bearer(again.access_token), cookie: 'session=cookie-secret-123' },
      });
      const text = env().logs.text;
      for (const secret of [
        u.password,
        secretPassword,
        'Wrong-but-secret-77',
        again.refresh_token,
        again.access_token,
        u.tokens.access_token,
        'cookie-secret-123',
      ]) {
        expect(text).not.toContain(secret);
      }
    });
  });

  describe('OpenAPI', () => {
    it('serves a document listing the routes', async () => {
      const res = await env().app.inject({ method: 'GET', url: '/docs/json' });
      expect(res.statusCode).toBe(200);
      const doc = res.json();
      expect(doc.openapi).toMatch(/^3\./);
      expect(Object.keys(doc.paths)).toEqual(
        expect.arrayContaining([
          '/api/health',
          '/api/ready',
          '/api/auth/login',
          '/api/auth/refresh',
          '/api/auth/logout',
          '/api/auth/me',
          '/api/auth/change-password',
        ]),
      );
    });
  });
});
