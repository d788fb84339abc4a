import { createServer, type IncomingMessage } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { mkdtemp, readFile, readdir, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../app/src/logger.js';
import { createLoggedInUser, createUser } from '../helpers/factories.js';
import { upload } from '../helpers/files.js';
import { describeEachDialect, createTestEnv } from '../helpers/test-app.js';

describeEachDialect(
  'request logs and metrics',
  (env) => {
    it('writes one line per request with route pattern, status, duration, bytes, user and request id', async () => {
      const u = await createLoggedInUser(env());
      await env().app.inject({ method: 'GET', url: '/api/auth/me', headers: { ...u.headers, 'x-request-id': 'line-test-1' } });
      const lines = env().logs.entries.filter((e) => e['reqId'] === 'line-test-1');
      expect(lines.filter((l) => l['msg'] === 'request completed')).toHaveLength(1);
      expect(lines.find((l) => l['msg'] === 'request completed')).toMatchObject({
        level: 30,
        method: 'GET',
        route: '/api/auth/me',
        status: 200,
        durationMs: expect.any(Number),
        bytes: expect.any(Number),
        userId: u.user.id,
      });
    });

    it('writes exactly one line for a refused request, with its error code and the user id once', async () => {
      const u = await createLoggedInUser(env());
      const res = await env().app.inject({
        method: 'GET',
        url: '/api/files/list?path=does-not-exist',
        headers: { ...u.headers, 'x-request-id': 'line-test-refused' },
      });
      expect(res.statusCode).toBe(404);
      const raw = env().logs.lines.filter((l) => l.includes('"reqId":"line-test-refused"'));
      expect(raw).toHaveLength(1);
      expect(raw[0]?.match(/"userId"/g)).toHaveLength(1);
      expect(JSON.parse(raw[0] as string)).toMatchObject({
        level: 30,
        msg: 'request completed',
        status: 404,
        code: res.json().code,
        userId: u.user.id,
      });
    });

    it('logs the route pattern, never a share token from the URL', async () => {
      await env().app.inject({
        method: 'GET',
        url: '/api/shares/public/SuperSecretLinkToken123/download',
        headers: { 'x-request-id': 'line-test-2' },
      });
      const line = env().logs.entries.find((e) => e['reqId'] === 'line-test-2' && e['msg'] === 'request completed');
      expect(line?.['route']).toBe('/api/shares/public/:token/download');
      expect(env().logs.text).not.toContain('SuperSecretLinkToken123');
    });
  },
  { env: { BALUHOST_SLOW_REQUEST_MS: '100000', BALUHOST_SLOW_QUERY_MS: '100000', BALUHOST_METRICS_TOKEN: 'metrics-token-0123456789' } },
);

describeEachDialect(
  'slow request and query warnings',
  (env) => {
    it('warns about slow requests and slow queries, and the query line carries the request id', async () => {
      const u = await createLoggedInUser(env());
      await env().app.inject({ method: 'GET', url: '/api/files/list', headers: { ...u.headers, 'x-request-id': 'slow-test-1' } });
      const lines = env().logs.entries.filter((e) => e['reqId'] === 'slow-test-1');
      expect(lines.find((l) => l['msg'] === 'request completed')).toMatchObject({ level: 40, slow: true });
      expect(lines.find((l) => l['msg'] === 'slow query')).toMatchObject({
        level: 40,
        sql: expect.stringMatching(/select/i),
        durationMs: expect.any(Number),
      });
    });
  },
  { env: { BALUHOST_SLOW_REQUEST_MS: '1', BALUHOST_SLOW_QUERY_MS: '0' } },
);

describeEachDialect(
  'metrics',
  (env) => {
    it('exports every metric family, and they move with traffic', async () => {
      const read = async () => (await env().app.inject({ method: 'GET', url: '/metrics' })).body;
      const value = (text: string, pattern: RegExp) =>
        text
          .split('\n')
          .filter((l) => pattern.test(l))
          .reduce((n, l) => n + Number(l.split(' ').pop()), 0);
      const before = await read();
      const u = await createLoggedInUser(env());
      await env().app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: u.user.username, password: 'wrong-password' },
      });
      await upload(env(), u.headers, '', [{ filename: 'm.bin', content: Buffer.alloc(1234) }]);
      await env().app.inject({ method: 'GET', url: '/api/files/download/m.bin', headers: u.headers });
      await env().app.inject({ method: 'GET', url: '/api/nowhere' });
      const after = await read();
      for (const family of [
        'baluhost_http_request_duration_seconds',
        'baluhost_http_requests_in_flight',
        'baluhost_http_errors_total',
        'baluhost_db_query_duration_seconds',
        'baluhost_db_pool_connections',
        'baluhost_auth_failures_total',
        'baluhost_auth_lockouts_total',
        'baluhost_upload_bytes_total',
        'baluhost_download_bytes_total',
        'baluhost_storage_bytes',
        'baluhost_quota_used_bytes',
        'baluhost_backup_last_success_timestamp_seconds',
        'baluhost_backup_last_result',
        'baluhost_process_resident_memory_bytes',
      ]) {
        expect(after, family).toMatch(new RegExp(`^# TYPE ${family} `, 'm'));
      }
      expect(value(after, /^baluhost_upload_bytes_total/) - value(before, /^baluhost_upload_bytes_total/)).toBe(1234);
      expect(value(after, /^baluhost_download_bytes_total/) - value(before, /^baluhost_download_bytes_total/)).toBe(1234);
      expect(value(after, /^baluhost_auth_failures_total\{reason="invalid_credentials"/)).toBeGreaterThan(
        value(before, /^baluhost_auth_failures_total\{reason="invalid_credentials"/),
      );
      expect(value(after, /^baluhost_http_errors_total\{code="not_found"/)).toBeGreaterThan(
        value(before, /^baluhost_http_errors_total\{code="not_found"/),
      );
      expect(value(after, /^baluhost_db_query_duration_seconds_count/)).toBeGreaterThan(
        value(before, /^baluhost_db_query_duration_seconds_count/),
      );
      expect(value(after, /^baluhost_http_request_duration_seconds_count\{.*route="\/api\/files\/upload"/)).toBeGreaterThan(0);
      expect(after).toMatch(new RegExp(`^baluhost_quota_used_bytes\\{user="${u.user.username}"[^}]*\\} 1234$`, 'm'));
      expect(after).toMatch(/^baluhost_storage_bytes\{state="free"[^}]*\} \d+/m);
    });

    it('serves metrics to loopback and token holders only; a client behind the proxy is not loopback', async () => {
      expect((await env().app.inject({ method: 'GET', url: '/metrics', remoteAddress: '192.168.1.50' })).statusCode).toBe(403);
      expect(
        (
          await env().app.inject({
            method: 'GET',
            url: '/metrics',
            remoteAddress: '192.168.1.50',
            headers: { authorization: 'Bearer wrong-token-wrong-token' },
          })
        ).statusCode,
      ).toBe(403);
      expect(
        (
          await env().app.inject({
            method: 'GET',
            url: '/metrics',
            remoteAddress: '192.168.1.50',
            headers: { authorization: 'Bearer metrics-token-0123456789' },
          })
        ).statusCode,
      ).toBe(200);
      expect((await env().app.inject({ method: 'GET', url: '/metrics', headers: { 'x-forwarded-for': '203.0.113.9' } })).statusCode).toBe(
        403,
      );
      expect((await env().app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
    });
  },
  { env: { BALUHOST_SLOW_REQUEST_MS: '100000', BALUHOST_SLOW_QUERY_MS: '100000', BALUHOST_METRICS_TOKEN: 'metrics-token-0123456789' } },
);

describeEachDialect(
  'readiness and load shedding',
  (env) => {
    it('names the disk check when free space is under the threshold', async () => {
      const res = await env().app.inject({ method: 'GET', url: '/api/ready' });
      expect(res.statusCode).toBe(503);
      expect(res.json().detail).toBe('Not ready: disk');
      expect(res.json().checks.disk.reason).toMatch(/below the \d+-byte threshold/);
    });
  },
  { env: { BALUHOST_READY_MIN_FREE_BYTES: String(2 ** 60) } },
);

describe('load shedding', () => {
  it('answers 503 with Retry-After while over the heap limit', async () => {
    const env = await createTestEnv('sqlite', { env: { BALUHOST_MAX_HEAP_USED_BYTES: '1' } });
    try {
      let res = await env.app.inject({ method: 'GET', url: '/api/health' });
      for (let i = 0; i < 40 && res.statusCode !== 503; i += 1) {
        await new Promise((r) => setTimeout(r, 100));
        res = await env.app.inject({ method: 'GET', url: '/api/health' });
      }
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
      expect(res.json()).toMatchObject({ code: 'overloaded' });
    } finally {
      await env.close();
    }
  });
});

describe('telemetry sampler readiness', () => {
  it('fails the telemetry check when the sampler stops producing samples', async () => {
    const env = await createTestEnv('sqlite', { env: { BALUHOST_TELEMETRY_INTERVAL_MS: '100' } });
    try {
      await new Promise((r) => setTimeout(r, 250));
      expect((await env.app.inject({ method: 'GET', url: '/api/ready' })).json().checks.telemetry).toEqual({ ok: true });
      env.app.services.telemetry.stop();
      await new Promise((r) => setTimeout(r, 1500));
      const res = await env.app.inject({ method: 'GET', url: '/api/ready' });
      expect(res.statusCode).toBe(503);
      expect(res.json().checks.telemetry.reason).toMatch(/no telemetry sample/);
    } finally {
      await env.close();
    }
  });
});

describe('trace logging', () => {
  it('never writes a credential header, even where a library logs the request headers itself', async () => {
    const env = await createTestEnv('sqlite', { env: { LOG_LEVEL: 'trace' } });
    try {
      const u = await createLoggedInUser(env);
      const res = await upload(env, u.headers, '', [{ filename: 'traced.txt', content: 'traced' }]);
      expect(res.statusCode, res.body).toBe(200);
      // @fastify/multipart's trace line holds the request headers: it is there, without the token.
      const line = env.logs.lines.find((l) => l.includes('Providing options to busboy'));
      expect(line).toContain('"authorization":"[REDACTED]"');
      expect(env.logs.text).not.toContain(u.tokens.access_token);
    } finally {
      await env.close();
    }
  });
});

describe('Sentry error reports', () => {
  it('sends 5xx errors to the DSN with request id, route and release, and nothing secret', async () => {
    const envelopes: string[] = [];
    const server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        envelopes.push((req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body).toString());
        res.writeHead(200).end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    const env = await createTestEnv('sqlite', {
      env: { SENTRY_DSN: `http://publickey@127.0.0.1:${port}/42`, BALUHOST_RELEASE: 'baluhost@9.9.9' },
    });
    const { createErrorTracker } = await import('../../app/src/observability/error-tracking.js');
    const tracker = await createErrorTracker(env.config);
    env.app.errorTracker = tracker;
    try {
      const u = await createUser(env);
      // A broken schema makes login fail inside the database: an internal error, not a user error.
      await sql`drop table refresh_tokens`.execute(env.database.db);
      const res = await env.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: u.user.username, password: u.password },
        headers: { 'x-request-id': 'sentry-req-1', authorization: 'Bearer secret-bearer-value' },
      });
      expect(res.statusCode).toBe(500);
      expect(res.json()).toEqual({ detail: 'Internal Server Error', code: 'internal_error' });
      // One line for the failed request, carrying the error itself.
      const lines = env.logs.entries.filter((e) => e['reqId'] === 'sentry-req-1');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ level: 50, msg: 'request completed', status: 500, code: 'internal_error' });
      expect((lines[0]?.['err'] as { message: string }).message).toMatch(/refresh_tokens/);
      await tracker?.flush(3000);
      const all = envelopes.join('\n');
      expect(all).toContain('"request_id":"sentry-req-1"');
      expect(all).toContain('"route":"/api/auth/login"');
      expect(all).toContain('baluhost@9.9.9');
      expect(all).not.toContain(u.password);
      expect(all).not.toContain('secret-bearer-value');
    } finally {
      await env.close().catch(() => undefined);
      server.close();
    }
  });

  it('loads nothing without a DSN', async () => {
    const { createErrorTracker } = await import('../../app/src/observability/error-tracking.js');
    const env = await createTestEnv('sqlite');
    try {
      expect(await createErrorTracker(env.config)).toBeNull();
    } finally {
      await env.close();
    }
  });
});

describe('log file destination', () => {
  it('writes redacted JSON lines to a rotating file as well', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'baluhost-logfile-'));
    try {
      const logger = createLogger({
        logLevel: 'info',
        observability: { logFile: { path: join(dir, 'baluhost.log'), size: '10m', frequency: 'daily', keep: 3 } } as never,
      });
      logger.info({ password: 'file-secret-123' }, 'to the file');
      await new Promise<void>((r) => logger.flush(() => r()));
      let text = '';
      for (let i = 0; i < 40 && !text.includes('to the file'); i += 1) {
        await new Promise((r) => setTimeout(r, 100));
        const files = await readdir(dir);
        text = (await Promise.all(files.map((f) => readFile(join(dir, f), 'utf8')))).join('');
      }
      expect(text).toContain('"msg":"to the file"');
      expect(text).not.toContain('file-secret-123');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('log file left to logrotate (BALUHOST_LOG_FILE_ROTATION=external)', () => {
  it('appends to one file under its own name and keeps writing after a copytruncate', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'baluhost-logfile-'));
    const path = join(dir, 'baluhost.log');
    const waitFor = async (needle: string) => {
      for (let i = 0; i < 50; i += 1) {
        const text = await readFile(path, 'utf8').catch(() => '');
        if (text.includes(needle)) return text;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`log line ${needle} never reached ${path}`);
    };
    try {
      const logger = createLogger({
        logLevel: 'info',
        observability: { logFile: { path, size: '10m', frequency: 'daily', keep: 3, rotation: 'external' } } as never,
      });
      logger.info('before rotation');
      await waitFor('before rotation');
      await truncate(path, 0); // what logrotate's copytruncate does after copying
      logger.info('after rotation');
      const text = await waitFor('after rotation');
      expect(text).not.toContain('before rotation');
      expect(text.startsWith('{')).toBe(true); // appended at the new end, not at the old offset behind a hole of NULs
      expect(await readdir(dir)).toEqual(['baluhost.log']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
