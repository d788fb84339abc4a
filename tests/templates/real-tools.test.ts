/**
 * Every rendered file, for both example stacks and a matrix of options, passes the tool that reads it
 * on the NAS: nginx -t, systemd-analyze (verify, security, calendar), logrotate -d, nft -c, sh -n.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadStackConfig, type StackConfig } from '../../stacks/config/index.js';
import { renderHostFiles, type HostFile } from '../../templates/index.js';
import { nasUnitPath } from '../helpers/nas-units.js';
import { renderIntoRoot, selfSignedCertificate, type HostRoot } from '../helpers/host-root.js';
import { stackConfig } from '../helpers/stack-configs.js';

const execFileAsync = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');

/** Runs a tool and returns its exit code and combined output, never throwing. */
async function tool(cmd: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(cmd, args, {
      env: { ...process.env, SYSTEMD_LOG_COLOR: '0', SYSTEMD_COLORS: '0', ...env },
    });
    return { code: 0, output: `${stdout}${stderr}` };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 127, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

const MATRIX: [string, () => Promise<StackConfig>][] = [
  ['example dev', async () => (await loadStackConfig(ROOT, 'dev')).config],
  ['example prod', async () => (await loadStackConfig(ROOT, 'prod')).config],
  [
    'bare-metal, no file logging, no firewall',
    async () => stackConfig({ app: { runtime: 'baremetal', fileLogging: false }, firewall: { enabled: false } }),
  ],
  [
    'letsencrypt with renew timer and OCSP stapling, odd ports',
    async () =>
      stackConfig({
        tls: {
          mode: 'letsencrypt',
          email: 'ops@example.com',
          acmeServer: 'https://acme-staging-v02.api.letsencrypt.org/directory',
          installRenewTimer: true,
          ocspStapling: true,
        },
        nginx: { httpPort: 8080, httpsPort: 8443 },
        firewall: { webAllowedRanges: ['0.0.0.0/0', '::/0'] },
        domains: ['nas.example.com', 'files.example.com'],
      }),
  ],
  [
    'provided certificate, IPv6-only web access, weekly backups',
    async () =>
      stackConfig({
        tls: { mode: 'provided', certificatePath: '/etc/ssl/nas/chain.pem', keyPath: '/etc/ssl/nas/key.pem' },
        firewall: { webAllowedRanges: ['fd00::/8'], sshAllowedRanges: ['10.0.0.0/8', 'fd00::/8'] },
        backups: { schedule: 'Sun *-*-* 04:00:00' },
      }),
  ],
];

describe.each(MATRIX)('rendered host files: %s', (_name, makeConfig) => {
  let host: HostRoot;
  let config: StackConfig;

  beforeAll(async () => {
    config = await makeConfig();
    host = await renderIntoRoot(config);
    await selfSignedCertificate(host.layout, config.domains[0] as string);
  });
  afterAll(() => host?.close());

  it('nginx -t accepts the site, the TLS site and the upstream include', async () => {
    const result = await tool('nginx', ['-t', '-e', 'stderr', '-c', host.layout.nginxMainConf]);
    expect(result.output).toContain('test is successful');
    expect(result.code).toBe(0);
  });

  it('systemd-analyze verify prints nothing for any unit', async () => {
    const units = host.files.filter((f) => f.role === 'systemd-unit').map((f) => f.path);
    expect(units.length).toBeGreaterThan(0);
    const unitPath = await nasUnitPath(join(host.root, 'nas-units'));
    const result = await tool('systemd-analyze', ['verify', '--man=no', ...units], { SYSTEMD_UNIT_PATH: unitPath });
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  });

  it('systemd-analyze calendar accepts every timer schedule', async () => {
    const timers = host.files.filter((f) => f.path.endsWith('.timer'));
    for (const timer of timers) {
      const spec = /^OnCalendar=(.+)$/m.exec(timer.content)?.[1] as string;
      const result = await tool('systemd-analyze', ['calendar', spec]);
      expect(result.code, `${timer.path}: ${result.output}`).toBe(0);
    }
  });

  it('logrotate -d accepts the rotation config', async () => {
    const result = await tool('logrotate', ['-d', '-s', `${host.root}/logrotate.state`, host.file('logrotate').path]);
    expect(result.output).not.toMatch(/^error:/m);
    expect(result.code).toBe(0);
  });

  it('logrotate really rotates: the app log is copied and truncated, the backup log moved', async () => {
    const appLog = join(host.layout.logDir, 'baluhost.log');
    await writeFile(appLog, '{"msg":"line"}\n');
    await writeFile(host.layout.backupLog, 'Backup written\n');
    const result = await tool('logrotate', ['-f', '-s', `${host.root}/logrotate.state`, host.file('logrotate').path]);
    expect(result.output).not.toMatch(/^error:/m);
    const names = await readdir(host.layout.logDir);
    expect(names.some((n) => /^backup\.log-\d{8}/.test(n))).toBe(true);
    if (config.app.fileLogging) {
      expect(names.some((n) => /^baluhost\.log-\d{8}/.test(n))).toBe(true);
      expect((await stat(appLog)).size).toBe(0); // copytruncate: same file, emptied, still there for the app
    }
  });

  it('nft -c accepts the firewall ruleset', async () => {
    if (!config.firewall.enabled) {
      expect(host.files.some((f) => f.role === 'firewall')).toBe(false);
      return;
    }
    const result = await tool('nft', ['-c', '-f', host.file('firewall').path]);
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  });

  it('promtool accepts the Prometheus config and the alert rules it loads, scraping both slots with the token', async () => {
    // On the NAS the stack writes the token file; here a stand-in, so promtool checks the reference.
    await mkdir(join(host.root, 'etc/baluhost/prometheus'), { recursive: true });
    await writeFile(host.layout.metricsTokenFile, 'token-of-the-test\n');
    const checked = await tool('promtool', ['check', 'config', host.layout.prometheusConfig]);
    expect(checked.code, checked.output).toBe(0);
    expect(checked.output).toContain(`SUCCESS: 1 rule files found`);
    const file = host.file('monitoring', 'prometheus.yml');
    for (const slot of ['blue', 'green'] as const)
      expect(file.content).toContain(
        `- targets: ["127.0.0.1:${config.app.slots[slot]}"]\n        labels:\n          instance: nas\n          slot: ${slot}\n`,
      );
    expect(file.content).toContain(`credentials_file: ${host.layout.metricsTokenFile}`);
  });

  it('shell scripts parse (sh -n)', async () => {
    for (const script of host.files.filter((f) => f.mode === '0755')) {
      const result = await tool('sh', ['-n', script.path]);
      expect(result.code, `${script.path}: ${result.output}`).toBe(0);
    }
  });

  it('systemd-tmpfiles creates every folder with its owner and mode', async () => {
    // Rendered for "/" and applied with --root, so users resolve from the fake root's /etc/passwd.
    const fakeRoot = await mkdtemp(join(tmpdir(), 'baluhost-tmpfiles-'));
    try {
      await mkdir(join(fakeRoot, 'etc'), { recursive: true });
      await writeFile(join(fakeRoot, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\nbaluhost:x:990:990::/nonexistent:/usr/sbin/nologin\n');
      await writeFile(join(fakeRoot, 'etc/group'), 'root:x:0:\nadm:x:4:\nbaluhost:x:990:\n');
      const tmpfiles = renderHostFiles(config).find((f) => f.role === 'tmpfiles') as HostFile;
      await writeFile(join(fakeRoot, 'baluhost.conf'), tmpfiles.content);
      const result = await tool('systemd-tmpfiles', [`--root=${fakeRoot}`, '--create', join(fakeRoot, 'baluhost.conf')]);
      expect(result.output).toBe('');
      expect(result.code).toBe(0);
      const storage = await stat(join(fakeRoot, config.app.storagePath));
      expect({ mode: (storage.mode & 0o777).toString(8), uid: storage.uid }).toEqual({ mode: '750', uid: 990 });
      const backups = await stat(join(fakeRoot, config.backups.destination));
      expect((backups.mode & 0o777).toString(8)).toBe('750');
    } finally {
      await rm(fakeRoot, { recursive: true, force: true });
    }
  });
});

describe('service hardening (systemd-analyze security)', () => {
  const hosts: HostRoot[] = [];
  afterAll(async () => {
    for (const host of hosts) await host.close();
  });

  // Units that need no root must score at most 2.0; the ones that must be root (nft, the Docker
  // socket, certbot's keys) at most 3.5, each saying in the unit why it keeps what it keeps.
  it.each(['docker', 'baremetal'] as const)('every %s unit is hardened: ≤ 2.0 without root, ≤ 3.5 as root', async (runtime) => {
    const host = await renderIntoRoot(
      stackConfig({
        app: { runtime },
        domains: ['nas.example.com'],
        tls: { mode: 'letsencrypt', email: 'ops@example.com', installRenewTimer: true },
        firewall: { webAllowedRanges: ['0.0.0.0/0'] },
      }),
    );
    hosts.push(host);
    const units = host.files.filter((f) => f.path.endsWith('.service'));
    expect(units.map((u) => u.path.split('/').pop()).sort()).toEqual(
      [
        ...(runtime === 'baremetal' ? ['baluhost.service'] : []),
        'baluhost-backup.service',
        'baluhost-certbot-renew.service',
        'baluhost-firewall.service',
      ].sort(),
    );
    for (const unit of units) {
      const result = await tool('systemd-analyze', ['security', '--offline=true', '--threshold=100', '--no-pager', unit.path]);
      const score = Number(/Overall exposure level for .*?: (\d+\.\d+)/.exec(result.output)?.[1]);
      const limit = /^User=/m.test(unit.content) ? 2.0 : 3.5;
      expect(score, `${unit.path}: ${result.output.split('\n').slice(-3).join('\n')}`).toBeLessThanOrEqual(limit);
      if (limit === 3.5) expect(unit.content, unit.path).toMatch(/# Hardening: .*(root|Root)/);
    }
  });
});
