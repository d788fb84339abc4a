import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { manifestHash, manifestOf, renderHostFiles, type HostFile } from '../../templates/index.js';
import { diffFiles } from '../../templates/rendered-output.js';
import { runScript } from '../helpers/scripts.js';
import { stackConfig } from '../helpers/stack-configs.js';

const byRole = (files: HostFile[], role: HostFile['role'], suffix = '') =>
  files.find((f) => f.role === role && f.path.endsWith(suffix)) as HostFile;

describe('rendered host files', () => {
  it('are deterministic: the same config renders the same bytes and manifest hash', () => {
    const a = renderHostFiles(stackConfig());
    const b = renderHostFiles(stackConfig());
    expect(a).toEqual(b);
    expect(manifestHash(manifestOf(a))).toBe(manifestHash(manifestOf(b)));
  });

  it('carry the sha256 of their content and a mode the installer applies', () => {
    for (const file of renderHostFiles(stackConfig())) {
      expect(file.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(file.mode).toMatch(/^0[0-7]{3}$/);
    }
    const files = renderHostFiles(stackConfig());
    expect(byRole(files, 'app-env').mode).toBe('0600');
    expect(byRole(files, 'script').mode).toBe('0755');
  });

  it("give nginx the app's upload cap and stream uploads unbuffered", () => {
    const tls = byRole(renderHostFiles(stackConfig({ app: { maxUploadMb: 2048 } })), 'nginx-tls-site').content;
    expect(tls).toContain('client_max_body_size 2048m;');
    expect(tls).toMatch(/location = \/api\/files\/upload \{[^}]*proxy_request_buffering off;/);
  });

  it('never put add_header inside a location (it would drop the server-level security headers)', () => {
    const tls = byRole(renderHostFiles(stackConfig()), 'nginx-tls-site').content;
    const locations = tls.split(/\n {4}location /).slice(1);
    expect(locations.length).toBeGreaterThan(3);
    for (const location of locations) expect(location.split('\n    }')[0]).not.toContain('add_header');
  });

  it('staple OCSP only when asked and never for a self-signed certificate', () => {
    expect(byRole(renderHostFiles(stackConfig()), 'nginx-tls-site').content).not.toContain('ssl_stapling');
    const stapled = stackConfig({
      tls: { mode: 'provided', certificatePath: '/etc/ssl/c.pem', keyPath: '/etc/ssl/k.pem', ocspStapling: true },
    });
    expect(byRole(renderHostFiles(stapled), 'nginx-tls-site').content).toContain('ssl_stapling on;');
  });

  it('keep secrets out of the env file and tell the app to leave rotation to logrotate', () => {
    const env = byRole(renderHostFiles(stackConfig({ app: { env: { LOG_LEVEL: 'debug' } } })), 'app-env').content;
    expect(env).toContain('LOG_LEVEL="debug"');
    expect(env).toContain('BALUHOST_LOG_FILE_ROTATION="external"');
    expect(env).not.toMatch(/SECRET_KEY|DATABASE_URL|PASSWORD/);
  });

  it('quote env values so a value cannot end the line early', () => {
    const env = byRole(renderHostFiles(stackConfig({ app: { env: { BALUHOST_DOCS_ENABLED: 'a "quoted" \\ value' } } })), 'app-env').content;
    expect(env).toContain('BALUHOST_DOCS_ENABLED="a \\"quoted\\" \\\\ value"');
  });

  it('open SSH only on the configured port to the configured networks', () => {
    const rules = byRole(
      renderHostFiles(stackConfig({ host: { sshPort: 2222 }, firewall: { sshAllowedRanges: ['10.1.0.0/16'] } })),
      'firewall',
    ).content;
    expect(rules).toContain('ip saddr { 10.1.0.0/16 } tcp dport 2222 accept');
    expect(rules).toContain('policy drop;');
    expect(rules).toContain('ct state established,related accept');
  });

  it('render certbot files only for letsencrypt, and the renew timer only when asked', () => {
    const roles = (files: HostFile[]) => files.map((f) => f.path.split('/').pop());
    expect(roles(renderHostFiles(stackConfig()))).not.toContain('50-baluhost');
    const le = stackConfig({
      tls: { mode: 'letsencrypt', email: 'a@example.com', installRenewTimer: true },
      firewall: { webAllowedRanges: ['0.0.0.0/0'] },
    });
    expect(roles(renderHostFiles(le))).toEqual(expect.arrayContaining(['50-baluhost', 'certbot.ini', 'baluhost-certbot-renew.timer']));
  });

  it('diffs two renders file by file', () => {
    const before = renderHostFiles(stackConfig());
    const after = renderHostFiles(stackConfig({ backups: { keepLast: 3 } }));
    const changes = diffFiles(before, after);
    expect(changes.map((c) => [c.kind, c.path])).toEqual([['changed', '/usr/local/lib/baluhost/baluhost-backup']]);
    expect(changes[0]?.diff).toContain(
      '+    exec docker exec "$container" node /app/dist/scripts/backup-database.js --out-dir /backups --keep-last 3',
    );
  });
});

describe('npm run render', () => {
  it('writes every file with its mode and a manifest, then shows only what changed with --against', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'baluhost-render-'));
    try {
      const out = join(dir, 'dev');
      const first = await runScript('scripts/render.ts', ['--stack', 'dev', '--out', out]);
      expect(first.code).toBe(0);
      const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as {
        hash: string;
        files: { path: string; mode: string; sha256: string }[];
      };
      expect(manifest.files.length).toBeGreaterThan(8);
      for (const entry of manifest.files)
        expect(((await stat(join(out, entry.path))).mode & 0o777).toString(8).padStart(4, '0')).toBe(entry.mode);
      expect(first.stdout).toContain(manifest.hash);

      const same = await runScript('scripts/render.ts', ['--stack', 'dev', '--against', out]);
      expect(same.code).toBe(0);
      expect(same.stdout).toContain('/etc/nginx/conf.d/baluhost.conf');
      expect(same.stdout).toContain(`No changes against ${out}`);

      const prod = await runScript('scripts/render.ts', ['--stack', 'prod', '--against', out]);
      expect(prod.stdout).toMatch(/\d+ file\(s\) differ/);
      expect(prod.stdout).toContain('+server_name nas.example.com;'.replace('+', '+    '));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
