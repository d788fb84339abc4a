/** Security headers on every response, HSTS only behind HTTPS, CORS only for listed origins, trusted proxies. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoggedInUser } from '../helpers/factories.js';
import { createTestEnv, type TestEnv } from '../helpers/test-app.js';

describe('headers, CORS and client addresses', () => {
  let env: TestEnv & { close(): Promise<void> };
  beforeAll(async () => {
    env = await createTestEnv('sqlite', {
      env: { BALUHOST_CORS_ORIGINS: 'https://nas.example.com', BALUHOST_DOCS_ENABLED: 'true', BALUHOST_TRUSTED_PROXIES: '127.0.0.1' },
    });
  });
  afterAll(() => env?.close());

  it('sends a locked-down CSP and the other headers on API answers, errors included', async () => {
    // A malformed %-escape in the path is refused by the router before any hook runs: still headers.
    for (const url of ['/api/health', '/api/files/list', '/api/nope', '/api/files/%E0%A4%A', '/api/%zz']) {
      const res = await env.app.inject({ method: 'GET', url });
      if (url.includes('%')) expect([res.statusCode, res.json()], url).toEqual([400, expect.objectContaining({ code: 'bad_url' })]);
      expect(res.headers['content-security-policy'], url).toBe(
        "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
      );
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['cross-origin-resource-policy']).toBe('same-origin');
      expect(res.headers['x-frame-options']).toBe('DENY');
    }
  });

  it('gives /docs only the looser policy it needs', async () => {
    const res = await env.app.inject({ method: 'GET', url: '/docs/' });
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  });

  it('sends HSTS only when the request came over HTTPS through a trusted proxy', async () => {
    const viaProxy = await env.app.inject({ method: 'GET', url: '/api/health', headers: { 'x-forwarded-proto': 'https' } });
    expect(viaProxy.headers['strict-transport-security']).toBe('max-age=63072000');
    const plain = await env.app.inject({ method: 'GET', url: '/api/health' });
    expect(plain.headers['strict-transport-security']).toBeUndefined();
    const spoofed = await env.app.inject({
      method: 'GET',
      url: '/api/health',
      headers: { 'x-forwarded-proto': 'https' },
      remoteAddress: '198.51.100.9',
    });
    expect(spoofed.headers['strict-transport-security']).toBeUndefined();
  });

  it('keeps downloads sandboxed so served HTML cannot run', async () => {
    const user = await createLoggedInUser(env);
    const boundary = 'b0undary';
    const body = `--${boundary}\r\nContent-Disposition: form-data; name="path"\r\n\r\n\r\n--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="page.html"\r\nContent-Type: text/html\r\n\r\n<script>alert(1)</script>\r\n--${boundary}--\r\n`;
    const up = await env.app.inject({
      method: 'POST',
      url: '/api/files/upload',
      headers: { ...user.headers, 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: body,
    });
    expect(up.statusCode).toBe(200);
    const down = await env.app.inject({ method: 'GET', url: '/api/files/download/page.html', headers: user.headers });
    expect(down.headers['content-security-policy']).toContain('sandbox');
  });

  it('answers CORS only for listed origins, echoing them exactly and never *', async () => {
    const allowed = await env.app.inject({
      method: 'OPTIONS',
      url: '/api/auth/login',
      headers: { origin: 'https://nas.example.com', 'access-control-request-method': 'POST' },
    });
    expect(allowed.headers['access-control-allow-origin']).toBe('https://nas.example.com');
    expect(allowed.headers['access-control-allow-credentials']).toBeUndefined();
    const other = await env.app.inject({
      method: 'OPTIONS',
      url: '/api/auth/login',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const simple = await env.app.inject({ method: 'GET', url: '/api/health', headers: { origin: 'https://evil.example' } });
    expect(simple.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('believes X-Forwarded-For only from a trusted proxy', async () => {
    const user = await createLoggedInUser(env);
    await env.app.inject({ method: 'GET', url: '/api/auth/me', headers: { ...user.headers } });
    const fromProxy = await env.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: user.user.username, password: user.password },
      headers: { 'x-forwarded-for': '203.0.113.7' },
    });
    const fromStranger = await env.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: user.user.username, password: user.password },
      headers: { 'x-forwarded-for': '203.0.113.8' },
      remoteAddress: '198.51.100.50',
    });
    expect(fromProxy.statusCode).toBe(200);
    expect(fromStranger.statusCode).toBe(200);
    const sessions = (await env.app.inject({ method: 'GET', url: '/api/auth/sessions', headers: user.headers })).json().sessions as {
      ip_address: string;
    }[];
    const addresses = sessions.map((s) => s.ip_address);
    expect(addresses).toContain('203.0.113.7');
    expect(addresses).toContain('198.51.100.50');
    expect(addresses).not.toContain('203.0.113.8');
  });
});
