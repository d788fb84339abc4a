/**
 * certbot obtains a real certificate from a local ACME CA (pebble) through the rendered nginx
 * webroot — pebble fetches the challenge from nginx over HTTP — and the rendered deploy hook
 * proves nginx serves the renewed certificate, or fails loudly when it does not.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StackConfig } from '../../stacks/config/index.js';
import { renderIntoRoot, run, type HostRoot } from '../helpers/host-root.js';
import { fetchVia, freePorts, startNginx, type RunningNginx } from '../helpers/nginx.js';
import { stackConfig } from '../helpers/stack-configs.js';

const DOMAIN = 'nas.acme.test';

async function waitForPort(port: number, scheme: 'http' | 'https', path = '/'): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      await fetchVia(scheme, port, path, { host: '127.0.0.1' });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`nothing answered on port ${port}`);
}

function spawnLogged(cmd: string, args: string[], env: Record<string, string> = {}): ChildProcess & { output: () => string } {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }) as ChildProcess & {
    output: () => string;
  };
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  child.output = () => output;
  return child;
}

describe("Let's Encrypt flow against pebble", () => {
  let host: HostRoot;
  let config: StackConfig;
  let nginx: RunningNginx;
  let pebble: ReturnType<typeof spawnLogged>;
  let dns: ReturnType<typeof spawnLogged>;
  let httpsPort: number;
  let acmePort: number;
  let pebbleDir: string;
  const lineage = () => join(host.layout.letsencryptDir, 'live', DOMAIN);

  const certbot = (args: string[]) =>
    run(
      'certbot',
      [
        ...args,
        '--config-dir',
        host.layout.letsencryptDir,
        '--work-dir',
        join(host.root, 'var/lib/letsencrypt'),
        '--logs-dir',
        join(host.root, 'var/log/letsencrypt'),
        '--server',
        `https://127.0.0.1:${acmePort}/dir`,
      ],
      {
        env: { ...process.env, REQUESTS_CA_BUNDLE: join(pebbleDir, 'cert.pem') },
      },
    );

  beforeAll(async () => {
    const [httpPort, https, acme, management, dnsPort, management2] = await freePorts(6);
    httpsPort = https as number;
    acmePort = acme as number;
    config = stackConfig({
      domains: [DOMAIN],
      tls: { mode: 'letsencrypt', email: 'ops@example.com', acmeServer: `https://127.0.0.1:${acmePort}/dir` },
      firewall: { webAllowedRanges: ['0.0.0.0/0'] },
      nginx: { httpPort, httpsPort },
    });
    host = await renderIntoRoot(config);

    // pebble's own HTTPS listener needs a certificate for 127.0.0.1.
    pebbleDir = join(host.root, 'pebble');
    await mkdir(pebbleDir, { recursive: true });
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      join(pebbleDir, 'key.pem'),
      '-out',
      join(pebbleDir, 'cert.pem'),
    ]);
    await writeFile(
      join(pebbleDir, 'pebble.json'),
      JSON.stringify({
        pebble: {
          listenAddress: `127.0.0.1:${acmePort}`,
          managementListenAddress: `127.0.0.1:${management}`,
          certificate: join(pebbleDir, 'cert.pem'),
          privateKey: join(pebbleDir, 'key.pem'),
          httpPort,
          tlsPort: 5001,
          ocspResponderURL: '',
          externalAccountBindingRequired: false,
        },
      }),
    );
    // A DNS answering 127.0.0.1 for every name, so pebble validates against our nginx for real.
    dns = spawnLogged('pebble-challtestsrv', [
      '-dns01',
      `127.0.0.1:${dnsPort}`,
      '-http01',
      '',
      '-https01',
      '',
      '-tlsalpn01',
      '',
      '-management',
      `127.0.0.1:${management2}`,
      '-defaultIPv4',
      '127.0.0.1',
      '-defaultIPv6',
      '',
    ]);
    pebble = spawnLogged('pebble', ['-config', join(pebbleDir, 'pebble.json'), '-dnsserver', `127.0.0.1:${dnsPort}`], {
      PEBBLE_VA_NOSLEEP: '1',
      PEBBLE_WFE_NONCEREJECT: '0',
    });
    await waitForPort(acmePort, 'https', '/dir');

    // Before a certificate exists only the HTTP site is enabled (what the stack does on first deploy).
    const tlsSite = await readFile(host.layout.nginxTlsSite, 'utf8');
    await writeFile(host.layout.nginxTlsSite, '');
    nginx = await startNginx(host.layout);
    await certbot(['certonly', '--config', host.layout.certbotConfig, '--no-random-sleep-on-renew']);
    await writeFile(host.layout.nginxTlsSite, tlsSite);
    await nginx.reload();
  }, 120_000);

  afterAll(async () => {
    await nginx?.stop();
    pebble?.kill();
    dns?.kill();
    await host?.close();
  });

  it('issued the certificate through the webroot, and nginx serves it', async () => {
    const cert = await readFile(join(lineage(), 'cert.pem'), 'utf8');
    expect(cert).toContain('BEGIN CERTIFICATE');
    const { stdout } = await run('openssl', ['x509', '-noout', '-ext', 'subjectAltName', '-in', join(lineage(), 'cert.pem')]);
    expect(stdout).toContain(`DNS:${DOMAIN}`);
    const served = await run('sh', [
      '-c',
      `openssl s_client -connect 127.0.0.1:${httpsPort} -servername ${DOMAIN} </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256`,
    ]);
    const issued = await run('openssl', ['x509', '-noout', '-fingerprint', '-sha256', '-in', join(lineage(), 'cert.pem')]);
    expect(served.stdout).toBe(issued.stdout);
  });

  it('a renewal runs the rendered deploy hook, which reloads nginx and confirms the new certificate', async () => {
    const before = (await run('openssl', ['x509', '-noout', '-fingerprint', '-sha256', '-in', join(lineage(), 'cert.pem')])).stdout;
    const renewal = await certbot(['renew', '--force-renewal', '--no-random-sleep-on-renew']);
    const after = (await run('openssl', ['x509', '-noout', '-fingerprint', '-sha256', '-in', join(lineage(), 'cert.pem')])).stdout;
    expect(after).not.toBe(before);
    expect(`${renewal.stdout}${renewal.stderr}`).toContain('nginx serves the renewed certificate');
  }, 60_000);

  it('the deploy hook fails loudly when nginx still serves the old certificate', async () => {
    // nginx pinned to a copy of the current certificate; then a renewal produces a new one it does not serve.
    const pinned = join(host.root, 'pinned');
    await mkdir(pinned, { recursive: true });
    await copyFile(join(lineage(), 'fullchain.pem'), join(pinned, 'fullchain.pem'));
    await copyFile(join(lineage(), 'privkey.pem'), join(pinned, 'privkey.pem'));
    const site = await readFile(host.layout.nginxTlsSite, 'utf8');
    await writeFile(
      host.layout.nginxTlsSite,
      site
        .replace(join(lineage(), 'fullchain.pem'), join(pinned, 'fullchain.pem'))
        .replace(join(lineage(), 'privkey.pem'), join(pinned, 'privkey.pem')),
    );
    await nginx.reload();
    await certbot(['certonly', '--config', host.layout.certbotConfig, '--force-renewal', '--no-random-sleep-on-renew']);

    const hook = await run(host.layout.certbotDeployHook, [], {
      env: { ...process.env, RENEWED_LINEAGE: lineage(), RENEWED_DOMAINS: DOMAIN },
    }).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => ({ code: err.code, stderr: err.stderr }),
    );
    expect(hook.code).toBe(1);
    expect(hook.stderr).toMatch(/nginx still serves .* expected the renewed/);
    await writeFile(host.layout.nginxTlsSite, site);
  }, 60_000);

  it('the deploy hook does not reload nginx when nginx -t rejects the configuration', async () => {
    const site = await readFile(host.layout.nginxTlsSite, 'utf8');
    await writeFile(host.layout.nginxTlsSite, `${site}\nthis is not nginx;\n`);
    const hook = await run(host.layout.certbotDeployHook, [], { env: { ...process.env, RENEWED_LINEAGE: lineage() } }).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => ({ code: err.code, stderr: err.stderr }),
    );
    expect(hook.code).toBe(1);
    expect(hook.stderr).toContain('nginx -t rejected the configuration');
    await writeFile(host.layout.nginxTlsSite, site);
    // Still serving: the broken file was never loaded.
    expect((await fetchVia('https', httpsPort, '/robots.txt', { host: DOMAIN })).status).toBe(200);
  });
});
