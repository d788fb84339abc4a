/**
 * The rendered nginx config, served for real on loopback in front of two tiny upstreams standing in
 * for the blue and green slots.
 */
import { createServer, type Server } from 'node:http';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StackConfig } from '../../stacks/config/index.js';
import { renderHostFiles } from '../../templates/index.js';
import { renderIntoRoot, selfSignedCertificate, type HostRoot } from '../helpers/host-root.js';
import { fetchVia, freePorts, startNginx, type RunningNginx } from '../helpers/nginx.js';
import { stackConfig } from '../helpers/stack-configs.js';

const SECURITY_HEADERS = [
  'strict-transport-security',
  'x-content-type-options',
  'x-frame-options',
  'referrer-policy',
  'permissions-policy',
  'cross-origin-opener-policy',
  'x-request-id',
];

/** A slot: answers with its name and what it saw, counts upload bytes as they stream in. */
function fakeSlot(name: string): Server {
  return createServer((req, res) => {
    let bytes = 0;
    req.on('data', (c: Buffer) => {
      bytes += c.length;
    });
    req.on('end', () => {
      if (req.url === '/api/missing') {
        res.writeHead(404, { 'content-type': 'application/json', 'x-powered-by': 'leaky' });
        res.end('{"detail":"Not found"}');
        return;
      }
      if (req.url === '/api/big.json') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ files: Array.from({ length: 200 }, (_, i) => ({ name: `file-${i}.txt`, size: i })) }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'x-powered-by': 'leaky', 'x-frame-options': 'SAMEORIGIN' });
      res.end(
        JSON.stringify({
          slot: name,
          url: req.url,
          bytes,
          forwardedFor: req.headers['x-forwarded-for'],
          forwardedProto: req.headers['x-forwarded-proto'],
          requestId: req.headers['x-request-id'],
        }),
      );
    });
  });
}

describe('nginx with the rendered config, for real', () => {
  let host: HostRoot;
  let nginx: RunningNginx;
  let config: StackConfig;
  let httpPort: number;
  let httpsPort: number;
  const slots: Server[] = [];

  beforeAll(async () => {
    const [http, https, blue, green] = await freePorts(4);
    httpPort = http as number;
    httpsPort = https as number;
    config = stackConfig({
      domains: ['nas.test'],
      nginx: { httpPort, httpsPort, authPerMinute: 6, authBurst: 2 },
      app: { slots: { blue, green }, maxUploadMb: 1 },
    });
    for (const [name, port] of [
      ['blue', blue],
      ['green', green],
    ] as const) {
      const server = fakeSlot(name);
      await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
      slots.push(server);
    }
    host = await renderIntoRoot(config);
    await selfSignedCertificate(host.layout, 'nas.test');
    nginx = await startNginx(host.layout);
  });

  afterAll(async () => {
    await nginx?.stop();
    await Promise.all(slots.map((s) => new Promise((r) => s.close(r))));
    await host?.close();
  });

  it('redirects plain HTTP to HTTPS, keeping the path and the non-standard port', async () => {
    const reply = await fetchVia('http', httpPort, '/api/files/list?path=a');
    expect(reply.status).toBe(301);
    expect(reply.headers.location).toBe(`https://nas.test:${httpsPort}/api/files/list?path=a`);
  });

  it('serves ACME challenges from the webroot over plain HTTP', async () => {
    await mkdir(join(host.layout.acmeWebroot, '.well-known/acme-challenge'), { recursive: true });
    await writeFile(join(host.layout.acmeWebroot, '.well-known/acme-challenge/tok123'), 'tok123.thumbprint');
    const reply = await fetchVia('http', httpPort, '/.well-known/acme-challenge/tok123');
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('tok123.thumbprint');
    expect((await fetchVia('http', httpPort, '/.well-known/acme-challenge/missing')).status).toBe(404);
  });

  it('proxies to the active slot with forwarding headers and a request id', async () => {
    const reply = await fetchVia('https', httpsPort, '/api/system/info');
    expect(reply.status).toBe(200);
    const seen = JSON.parse(reply.body) as Record<string, string>;
    expect(seen['slot']).toBe(config.app.activeSlot);
    expect(seen['forwardedFor']).toBe('127.0.0.1');
    expect(seen['forwardedProto']).toBe('https');
    expect(seen['requestId']).toMatch(/^[0-9a-f]{32}$/);
    expect(reply.headers['x-request-id']).toBe(seen['requestId']);
    const kept = await fetchVia('https', httpsPort, '/api/system/info', { headers: { 'x-request-id': 'client-chosen-id-1' } });
    expect((JSON.parse(kept.body) as Record<string, string>)['requestId']).toBe('client-chosen-id-1');
  });

  it('logs every request as one JSON line, an access token in the query hidden', async () => {
    await fetchVia('https', httpsPort, '/api/backups/7/download?token=eyJhbGciOiJIUzI1NiJ9.secret-part.sig');
    await fetchVia('https', httpsPort, '/api/files/list?path=Photos');
    await new Promise((r) => setTimeout(r, 200));
    const lines = (await readFile(host.layout.nginxAccessLog, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { uri: string });
    const uris = lines.map((l) => l.uri);
    expect(uris).toContain('/api/backups/7/download?token=[hidden]');
    expect(uris).toContain('/api/files/list?path=Photos');
    expect(uris.join('\n')).not.toContain('secret-part');
  });

  it("sends the security headers once on every location, on errors too, and hides the app's own", async () => {
    const replies = {
      proxied: await fetchVia('https', httpsPort, '/'),
      auth: await fetchVia('https', httpsPort, '/api/auth/me'),
      upload: await fetchVia('https', httpsPort, '/api/files/upload', { method: 'POST', body: 'x' }),
      download: await fetchVia('https', httpsPort, '/api/files/download/a.txt'),
      static: await fetchVia('https', httpsPort, '/robots.txt'),
      appError: await fetchVia('https', httpsPort, '/api/missing'),
      tooLarge: await fetchVia('https', httpsPort, '/api/files/upload', { method: 'POST', body: Buffer.alloc(2 * 1024 * 1024) }),
    };
    for (const [where, reply] of Object.entries(replies)) {
      for (const header of SECURITY_HEADERS) expect(reply.headers[header], `${header} on ${where} (${reply.status})`).toBeDefined();
      expect(reply.headers['x-frame-options'], where).toBe('DENY');
      expect(reply.headers['x-powered-by'], where).toBeUndefined();
    }
    expect(replies.static.body).toContain('Disallow: /');
    expect(replies.appError.status).toBe(404);
  });

  it("refuses bodies above the app's upload cap with 413 and streams smaller uploads through", async () => {
    const tooLarge = await fetchVia('https', httpsPort, '/api/files/upload', { method: 'POST', body: Buffer.alloc(1024 * 1024 + 1) });
    expect(tooLarge.status).toBe(413);
    const fits = await fetchVia('https', httpsPort, '/api/files/upload', { method: 'POST', body: Buffer.alloc(512 * 1024) });
    expect(fits.status).toBe(200);
    expect((JSON.parse(fits.body) as { bytes: number }).bytes).toBe(512 * 1024);
  });

  it('compresses JSON responses', async () => {
    const reply = await new Promise<{ encoding?: string; body: Buffer }>((resolve, reject) => {
      import('node:https').then(({ request }) => {
        request(
          {
            host: '127.0.0.1',
            port: httpsPort,
            path: '/api/big.json',
            headers: { host: 'nas.test', 'accept-encoding': 'gzip' },
            servername: 'nas.test',
            rejectUnauthorized: false,
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ encoding: res.headers['content-encoding'], body: Buffer.concat(chunks) }));
          },
        )
          .on('error', reject)
          .end();
      }, reject);
    });
    expect(reply.encoding).toBe('gzip');
    expect(JSON.parse(gunzipSync(reply.body).toString('utf8'))).toHaveProperty('files');
  });

  it("rate-limits /api/auth/ per client with a 429 in the API's shape, and leaves other paths alone", async () => {
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<typeof fetchVia>> | undefined;
    for (let i = 0; i < 8; i++) {
      const reply = await fetchVia('https', httpsPort, '/api/auth/login', { method: 'POST', body: '{}' });
      statuses.push(reply.status);
      if (reply.status === 429) limited = reply;
    }
    // At most the rate's one request plus the burst of 2 get through, then every request is refused.
    const firstRefused = statuses.indexOf(429);
    expect(firstRefused).toBeGreaterThan(0);
    expect(firstRefused).toBeLessThanOrEqual(3);
    expect(statuses.slice(firstRefused).every((s) => s === 429)).toBe(true);
    expect(limited?.headers['retry-after']).toBe('10');
    expect(JSON.parse(limited?.body ?? '{}')).toEqual({
      error: 'Too Many Requests',
      detail: expect.stringContaining('10 seconds') as unknown,
      retry_after: 10,
    });
    for (const header of SECURITY_HEADERS) expect(limited?.headers[header]).toBeDefined();
    expect((await fetchVia('https', httpsPort, '/api/files/list')).status).toBe(200);
    // Only where passwords are tried: the web client's /api/auth/me on every page is never refused,
    // and a URL spelled differently is still the login.
    const reads = await Promise.all(Array.from({ length: 12 }, () => fetchVia('https', httpsPort, '/api/auth/me')));
    expect(reads.map((r) => r.status)).toEqual(Array(12).fill(200));
    expect((await fetchVia('https', httpsPort, '/api/%61uth/login', { method: 'POST', body: '{}' })).status).toBe(429);
  });

  it('switches slots by rewriting only the upstream include and reloading', async () => {
    const green = renderHostFiles(
      stackConfig({ domains: ['nas.test'], nginx: config.nginx, app: { ...config.app, activeSlot: 'green' } }),
      host.root,
    );
    const changed = green.filter((f) => f.content !== host.files.find((o) => o.path === f.path)?.content);
    expect(changed.map((f) => f.role)).toEqual(['nginx-upstream']);
    await writeFile(host.layout.nginxUpstream, (changed[0] as { content: string }).content);
    await nginx.reload();
    const reply = await fetchVia('https', httpsPort, '/api/system/info');
    expect((JSON.parse(reply.body) as { slot: string }).slot).toBe('green');
  });

  it('answers 503 in JSON, with the headers, when the active slot is down', async () => {
    await Promise.all(slots.map((s) => new Promise((r) => s.close(r))));
    const reply = await fetchVia('https', httpsPort, '/api/files/list');
    expect(reply.status).toBe(503);
    expect(JSON.parse(reply.body)).toMatchObject({ code: 'service_unavailable' });
    for (const header of SECURITY_HEADERS) expect(reply.headers[header]).toBeDefined();
  });
});
