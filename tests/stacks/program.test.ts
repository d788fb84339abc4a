/** The Pulumi program under setMocks: the resource graph, inputs, secrets, ordering and diff behaviour. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MIGRATION_NOT_NEEDED } from '../../stacks/components/index.js';
import { readStackFile } from '../../stacks/config/index.js';
import { runProgram, TEST_SECRETS, type ProgramRun, type Registered } from '../helpers/pulumi-program.js';
import { sectionsWith } from '../helpers/stack-configs.js';

const ROOT = resolve(import.meta.dirname, '../..');
const stackSections = async (stack: string) => (await readStackFile(ROOT, stack)).sections;
const IMAGE_A = `ghcr.io/baluhost/baluhost@sha256:${'a'.repeat(64)}`;
const IMAGE_B = `ghcr.io/baluhost/baluhost@sha256:${'b'.repeat(64)}`;

const containers = (run: ProgramRun) => run.resources.filter((r) => r.type === 'docker:index/container:Container');
const secretValues = Object.values(TEST_SECRETS);

function assertNoPlaintextSecrets(resource: Registered): void {
  // A secret may appear only under an input path that arrived secret-wrapped.
  const walk = (value: unknown, path: string): void => {
    if (resource.secretPaths.some((p) => path === p || path.startsWith(`${p}.`))) return;
    if (typeof value === 'string') {
      for (const secret of secretValues) expect(value, `${resource.name}.${path} carries a secret in plain text`).not.toContain(secret);
    } else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k);
    }
  };
  walk(resource.inputs, '');
}

describe.each(['dev', 'prod'])('the %s stack under mocks', (stack) => {
  let run: ProgramRun;
  const load = async () => (run ??= await runProgram(await stackSections(stack), stack));

  it('registers one component per thing on the NAS, with children parented to them', async () => {
    const r = await load();
    const components = r.resources.filter((x) => x.type.startsWith('baluhost:nas:')).map((x) => `${x.type} ${x.name}`);
    expect(components).toEqual([
      'baluhost:nas:FirstAdmin first-admin',
      'baluhost:nas:NasHost nas',
      'baluhost:nas:Monitoring monitoring',
      'baluhost:nas:Database database',
      'baluhost:nas:AppRelease app',
      'baluhost:nas:HostFiles host-files',
      'baluhost:nas:ReverseProxy proxy',
    ]);
    expect(r.byName('nas-wait-for-ssh').parent).toBe('nas');
    expect(r.byName('database-container').parent).toBe('database');
    expect(r.byName('app-blue').parent).toBe('app');
    expect(r.byName('proxy-install-https').parent).toBe('proxy');
    for (const child of r.resources.filter((x) => !x.type.startsWith('baluhost:nas:') && !x.type.startsWith('pulumi:'))) {
      expect(child.parent, `${child.name} has no component parent`).not.toBe('');
    }
  });

  it('pins the NAS host key on every remote connection and never accepts unknown keys', async () => {
    const r = await load();
    const remote = r.resources.filter((x) => x.type.startsWith('command:remote:'));
    expect(remote.length).toBeGreaterThan(10);
    for (const cmd of remote) expect((cmd.inputs['connection'] as { hostKey?: string }).hostKey, cmd.name).toMatch(/^ssh-ed25519 AAAA/);
    const provider = r.resources.find((x) => x.type === 'pulumi:providers:docker') as Registered;
    expect(JSON.stringify(provider.inputs['sshOpts'])).toContain('StrictHostKeyChecking=yes');
  });

  it('gives both slots a loopback port, a health check, bounded logs, a restart policy and the storage volume', async () => {
    const r = await load();
    const [blue, green] = [r.byName('app-blue'), r.byName('app-green')];
    expect(blue.inputs['ports']).toEqual([{ internal: 8000, external: 8001, ip: '127.0.0.1' }]);
    expect(green.inputs['ports']).toEqual([{ internal: 8000, external: 8002, ip: '127.0.0.1' }]);
    for (const slot of [blue, green]) {
      expect(slot.inputs['healthcheck']).toMatchObject({ tests: ['CMD', 'baluhost', 'health'] });
      // On the database's internal network and on a bridge Docker publishes the loopback port on.
      expect(slot.inputs['networksAdvanced']).toEqual([{ name: 'baluhost-internal' }, { name: 'baluhost-edge' }]);
      expect(slot.inputs['restart']).toBe('unless-stopped');
      expect(slot.inputs['logOpts']).toEqual({ 'max-size': '20m', 'max-file': '5' });
      expect(slot.inputs['volumes']).toContainEqual({ hostPath: '/srv/baluhost/storage', containerPath: '/srv/storage' });
    }
  });

  it('puts secrets into containers and commands only as secret values', async () => {
    const r = await load();
    for (const resource of r.resources) assertNoPlaintextSecrets(resource);
    const blue = r.byName('app-blue');
    expect(blue.secretPaths).toContain('envs');
    const envs = blue.inputs['envs'] as string[];
    expect(envs).toContain(`BALUHOST_SECRET_KEY=${TEST_SECRETS.secretKey}`);
    expect(envs).toContain(`DATABASE_URL=postgres://baluhost:${TEST_SECRETS.dbPassword}@baluhost-postgres:5432/baluhost`);
    expect(envs).toContain('NODE_ENV=production');
    // No adminPassword in the stack config: a generated one, a secret output of the stack.
    expect(r.byName('first-admin-password').type).toBe('random:index/randomPassword:RandomPassword');
    expect(envs).toContain(`BALUHOST_ADMIN_PASSWORD=${TEST_SECRETS.dbPassword}`);
    expect(r.outputs['firstAdminPassword']).toEqual({ value: TEST_SECRETS.dbPassword, secret: true });
    expect(r.byName('app-edge').inputs).toMatchObject({ name: 'baluhost-edge', driver: 'bridge' });
    expect(r.byName('app-edge').inputs['internal']).toBeUndefined();
    expect(r.byName('app-migrate').secretPaths).toContain('stdin');
    expect(String(r.byName('app-migrate').inputs['create'])).not.toContain(TEST_SECRETS.dbPassword);
    // Prometheus scrapes the slots with the generated metrics token, which reaches the NAS only on stdin.
    expect(envs).toContain(`BALUHOST_METRICS_TOKEN=${TEST_SECRETS.metricsToken}`);
    const tokenFile = r.byName('monitoring-metrics-token-file');
    expect(tokenFile.secretPaths).toContain('stdin');
    expect(tokenFile.inputs['stdin']).toBe(TEST_SECRETS.metricsToken);
    expect(String(tokenFile.inputs['create'])).toContain('/etc/baluhost/prometheus/metrics-token');
    expect(String(tokenFile.inputs['create'])).not.toContain(TEST_SECRETS.metricsToken);
  });

  it('keeps PostgreSQL on an internal network with no published port, a pg_isready health check and bounded logs', async () => {
    const r = await load();
    const db = r.byName('database-container');
    expect(db.inputs['ports'] ?? []).toEqual([]);
    expect(r.byName('database-network').inputs['internal']).toBe(true);
    expect(db.inputs['healthcheck']).toMatchObject({ tests: ['CMD-SHELL', 'pg_isready -U baluhost -d baluhost'] });
    expect(db.inputs['logOpts']).toEqual({ 'max-size': '20m', 'max-file': '5' });
    expect(db.secretPaths).toContain('envs');
  });

  it('exports the URL, active slot, release, images per slot, database container, backup path and manifest hash; secrets stay secret', async () => {
    const r = await load();
    expect(r.outputs['url']).toMatch(/^https:\/\//);
    expect(r.outputs['activeSlot']).toBe('blue');
    expect(r.outputs['databaseContainer']).toBe('baluhost-postgres');
    expect(r.outputs['manifestHash']).toMatch(/^[0-9a-f]{64}$/);
    const images = r.outputs['slotImages'] as Record<string, { value: string; secret: boolean }>;
    expect(images['blue']?.secret).toBe(false);
    expect(images['blue']?.value).toBeTruthy();
  });
});

describe('release ordering', () => {
  it('backup, then migration, then the inactive slot, then the proxy switch', async () => {
    const run = await runProgram(sectionsWith({ app: { activeSlot: 'blue', slotImages: { blue: IMAGE_A, green: IMAGE_B } } }));
    const order = run.resources.map((r) => r.name);
    const at = (name: string) => order.indexOf(name);
    expect(at('app-predeploy-backup')).toBeLessThan(at('app-migrate'));
    expect(at('app-migrate')).toBeLessThan(at('app-green'));
    expect(at('app-green')).toBeLessThan(at('proxy-install-http'));
    expect(run.byName('app-migrate').dependencies).toContain('app-predeploy-backup');
    expect(run.byName('app-green').dependencies).toContain('app-migrate');
    expect(run.byName('app-blue').dependencies).not.toContain('app-migrate');
    expect(run.byName('proxy-install-http').dependencies).toEqual(expect.arrayContaining(['app-blue', 'app-green']));
    expect(run.byName('proxy-certificate').dependencies).toContain('proxy-install-http');
    expect(run.byName('proxy-install-https').dependencies).toContain('proxy-certificate');
    // The migration runs the image being released, and the backup is re-run only when that image changes.
    expect(String(run.byName('app-migrate').inputs['create'])).toContain(IMAGE_B);
    expect(run.byName('app-predeploy-backup').inputs['triggers']).toEqual([IMAGE_A, IMAGE_B]);
  });
});

describe('the web client', () => {
  it('copies the build prepared from webClient.dist, installs it by its id, and only then points nginx at it', async () => {
    const dist = await mkdtemp(join(tmpdir(), 'baluhost-program-client-'));
    try {
      await writeFile(join(dist, 'index.html'), '<!doctype html><title>BaluHost</title>');
      const run = await runProgram(sectionsWith({ webClient: { dist } }));
      const component = run.byName('web-client');
      expect(component.type).toBe('baluhost:nas:WebClient');
      const build = (run.outputs['webClientBuild'] as { value: string }).value;
      expect(build).toMatch(/^[a-f0-9]{32}$/);
      const stage = run.byName('web-client-stage');
      expect([stage.parent, stage.inputs['remotePath'], stage.inputs['triggers']]).toEqual([
        'web-client',
        `/var/lib/baluhost/incoming/web-client-${build}.tar`,
        [build],
      ]);
      const install = run.byName('web-client-install');
      expect(install.dependencies).toContain('web-client-stage');
      expect(String(install.inputs['create'])).toContain(`/var/lib/baluhost/web/${build}`);
      expect(run.byName('proxy-install-http').dependencies).toContain('web-client-install');
      // Without webClient there is nothing of the kind.
      const without = await runProgram(sectionsWith({}));
      expect(without.resources.filter((r) => r.name.startsWith('web-client'))).toEqual([]);
    } finally {
      await rm(dist, { recursive: true, force: true });
    }
  });

  it('stops with the reason when the configured client is no build, before any resource is registered', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'baluhost-program-empty-'));
    try {
      await expect(runProgram(sectionsWith({ webClient: { dist: empty } }))).rejects.toThrow(/has no index.html at its top/);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});

describe('what changes between runs', () => {
  const inputsByName = (run: ProgramRun) => new Map(run.resources.map((r) => [r.name, JSON.stringify(r.inputs)]));
  const changed = (a: ProgramRun, b: ProgramRun) => {
    const before = inputsByName(a);
    return [...inputsByName(b)]
      .filter(([name, inputs]) => before.get(name) !== inputs)
      .map(([name]) => name)
      .sort();
  };

  it('an unchanged config registers identical inputs (no spurious updates)', async () => {
    const sections = sectionsWith({ app: { slotImages: { blue: IMAGE_A, green: IMAGE_A } } });
    const a = await runProgram(sections);
    const b = await runProgram(sections);
    expect(changed(a, b)).toEqual([]);
    expect(b.resources.length).toBe(a.resources.length);
  });

  it('flipping the active slot rewrites only the upstream file: no container, backup or migration changes', async () => {
    const images = { slotImages: { blue: IMAGE_A, green: IMAGE_B } };
    const blue = await runProgram(sectionsWith({ app: { ...images, activeSlot: 'blue' } }));
    const green = await runProgram(sectionsWith({ app: { ...images, activeSlot: 'green' } }));
    // The migration command names the other image now, but its triggers (the pair of images) are the
    // same, so the engine runs its `update`, which is a no-op; a release changes the triggers instead.
    expect(changed(blue, green)).toEqual(['app-migrate', 'proxy-http-stage-etc-nginx-baluhost-upstream-conf', 'proxy-install-http']);
    expect(green.byName('app-migrate').inputs['triggers']).toEqual(blue.byName('app-migrate').inputs['triggers']);
    expect(green.byName('app-migrate').inputs['update']).toBe(MIGRATION_NOT_NEEDED);
    expect(
      containers(green)
        .map((c) => JSON.stringify(c.inputs))
        .sort(),
    ).toEqual(
      containers(blue)
        .map((c) => JSON.stringify(c.inputs))
        .sort(),
    );
  });

  it('a new image for the inactive slot changes that slot (and the backup/migration) but never the running one', async () => {
    const before = await runProgram(sectionsWith({ app: { activeSlot: 'blue', slotImages: { blue: IMAGE_A, green: IMAGE_A } } }));
    const after = await runProgram(sectionsWith({ app: { activeSlot: 'blue', slotImages: { blue: IMAGE_A, green: IMAGE_B } } }));
    const diff = changed(before, after);
    expect(diff).toContain('app-green');
    expect(diff).toContain('app-migrate');
    expect(diff).toContain('app-predeploy-backup');
    expect(diff).not.toContain('app-blue');
    expect(diff).not.toContain('database-container');
  });
});

describe('invalid config', () => {
  it('fails before any resource is registered, naming every bad key', async () => {
    await expect(runProgram(sectionsWith({ app: { slots: { blue: 8001, green: 8001 } }, tls: { mode: 'acme' } }))).rejects.toThrow(
      /baluhost:tls\.mode: must be one of/,
    );
  });
});

describe('bare-metal runtime', () => {
  it('needs no Docker: no provider, database or slots; the secrets file arrives on stdin as a secret', async () => {
    const run = await runProgram(sectionsWith({ app: { runtime: 'baremetal' } }));
    expect(run.resources.some((r) => r.type.startsWith('docker:') || r.type === 'pulumi:providers:docker')).toBe(false);
    expect(run.resources.filter((r) => r.type.startsWith('baluhost:nas:')).map((r) => r.name)).toEqual([
      'first-admin',
      'nas',
      'monitoring',
      'host-files',
      'proxy',
    ]);
    const secrets = run.byName('host-files-secrets-env');
    expect(secrets.secretPaths).toContain('stdin');
    expect(String(secrets.inputs['stdin'])).toContain(TEST_SECRETS.secretKey);
    expect(String(secrets.inputs['stdin'])).toContain(`BALUHOST_METRICS_TOKEN="${TEST_SECRETS.metricsToken}"`);
    expect(String(secrets.inputs['stdin'])).toContain(`BALUHOST_ADMIN_PASSWORD="${TEST_SECRETS.dbPassword}"`);
    expect(String(secrets.inputs['create'])).not.toContain(TEST_SECRETS.secretKey);
    expect(String(run.byName('host-files-install-units').inputs['create'])).toContain('systemctl enable --now baluhost.service');
    for (const resource of run.resources) assertNoPlaintextSecrets(resource);
  });
});
