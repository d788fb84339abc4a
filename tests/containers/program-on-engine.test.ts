/**
 * The Pulumi program's Docker resources on a real engine. The program runs under mocks (no Pulumi
 * CLI here); the harness creates the networks, images and containers it registered over SSH to the
 * simulated NAS, runs the release's pre-deploy backup and migration as the program runs them, then
 * checks what an operator relies on: both slots answer on their loopback ports, PostgreSQL is reachable
 * from the slots and not from the host, the volumes are writable, and the container settings hold.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostLayout, renderHostFiles } from '../../templates/index.js';
import { parseStackConfig } from '../../stacks/config/index.js';
import { apiClient, waitForHttp } from '../helpers/api-client.js';
import { containerImages } from '../helpers/container-images.js';
import { acquireMachineLock, docker, removeDockerObjects } from '../helpers/docker-engine.js';
import { freePorts } from '../helpers/nginx.js';
import { runProgram, TEST_SECRETS, type ProgramRun } from '../helpers/pulumi-program.js';
import { applyOnEngine, type AppliedProgram } from '../helpers/real-engine.js';
import { startSshd, type RunningSshd } from '../helpers/sshd.js';
import { sectionsWith } from '../helpers/stack-configs.js';

const run = promisify(execFile);
let sshd: RunningSshd;
let root: string;
let program: ProgramRun;
let applied: AppliedProgram;
let ports: { blue: number; green: number };
let sections: Record<string, unknown>;

let releaseNames: () => Promise<void>;

beforeAll(async () => {
  await containerImages();
  releaseNames = await acquireMachineLock('fixed-container-names');
  sshd = await startSshd();
  // The stack refuses NAS folders under /tmp (a system folder), as it should on a NAS.
  await mkdir('/srv', { recursive: true });
  root = await mkdtemp('/srv/baluhost-engine-test-');
  const [blue, green] = (await freePorts(2)) as [number, number];
  ports = { blue, green };
  const folder = (name: string) => join(root, name);
  sections = sectionsWith({
    host: { address: '127.0.0.1', sshUser: 'root', sshPort: sshd.target.port, hostKey: sshd.target.hostKey },
    app: { release: 'engine-r1', slots: ports, dataPath: folder('data'), storagePath: folder('storage'), logPath: folder('log') },
    database: { dataPath: folder('postgres') },
    backups: { destination: folder('backups') },
  });
  // The folders NasHost creates on a NAS (its own script is run for real in the remote-commands tests).
  const config = parseStackConfig(sections);
  for (const [path, owner, mode] of [
    [folder('data'), '10001:10001', '0750'],
    [folder('storage'), '10001:10001', '0750'],
    [folder('log'), '10001:10001', '0750'],
    [folder('backups'), '10001:10001', '0750'],
    [folder('postgres'), '999:999', '0700'],
  ] as const) {
    await mkdir(path, { recursive: true });
    await run('chown', [owner, path]);
    await run('chmod', [mode, path]);
  }
  expect(hostLayout(config).storageDir).toBe(folder('storage'));
  // Fixed names (the program's): clear what an interrupted earlier run may have left.
  await removeDockerObjects({
    containers: ['baluhost-app-blue', 'baluhost-app-green', 'baluhost-postgres'],
    networks: ['baluhost-internal', 'baluhost-edge'],
  });
  program = await runProgram(sections, 'engine');
  applied = await applyOnEngine(program, { ssh: { port: sshd.target.port, user: 'root', identityFile: join(sshd.dir, 'client') } }, [
    'app-predeploy-backup',
    'app-migrate',
  ]);
}, 30 * 60_000);

afterAll(async () => {
  await applied?.cleanup();
  await sshd?.stop();
  if (root) await rm(root, { recursive: true, force: true });
  await releaseNames?.();
}, 120_000);

describe('the program on a real Docker Engine', () => {
  it('runs the first release as the program orders it: no backup yet, then the migration in a one-off container', () => {
    expect(applied.commandOutput['app-predeploy-backup']).toContain('no app slot exists yet (first deploy)');
    expect(applied.commandOutput['app-migrate']).toContain('Applied: 0001-initial-schema');
  });

  it('serves /api/ready from both slots on their loopback ports, with PostgreSQL behind them', async () => {
    for (const slot of ['blue', 'green'] as const) {
      await waitForHttp(`http://127.0.0.1:${ports[slot]}/api/ready`, 60_000);
      const ready = (await (await fetch(`http://127.0.0.1:${ports[slot]}/api/ready`)).json()) as { checks: { database: { ok: boolean } } };
      expect(ready.checks.database.ok).toBe(true);
    }
    // The rendered nginx config sends traffic to the active slot's port.
    const upstream = renderHostFiles(parseStackConfig(sections)).find((f) => f.path.endsWith('upstream.conf'));
    expect(upstream?.content).toContain(`127.0.0.1:${ports.blue}`);
  });

  it('keeps PostgreSQL off the host: no published port, only the internal network', async () => {
    const db = JSON.parse((await docker(['inspect', 'baluhost-postgres'])).stdout) as {
      NetworkSettings: { Ports: Record<string, unknown[] | null>; Networks: Record<string, unknown> };
    }[];
    expect(Object.values(db[0]?.NetworkSettings.Ports ?? {}).every((binding) => binding === null)).toBe(true);
    expect(Object.keys(db[0]?.NetworkSettings.Networks ?? {})).toEqual(['baluhost-internal']);
    const internal = JSON.parse((await docker(['network', 'inspect', 'baluhost-internal'])).stdout) as { Internal: boolean }[];
    expect(internal[0]?.Internal).toBe(true);
  });

  it('lets the first admin in with the stack secret, and writes uploads into the storage folder as uid 10001', async () => {
    const api = apiClient(ports.blue);
    // No adminPassword in the config: the generated one (mocked RandomPassword) is the stack's output.
    expect(program.outputs['firstAdminPassword']).toEqual({ value: TEST_SECRETS.dbPassword, secret: true });
    const token = await api.login('admin', TEST_SECRETS.dbPassword);
    expect(await api.upload(token, '', 'on-the-nas.txt', Buffer.from('written by a slot'))).toBe(200);
    const homes = await readdir(join(root, 'storage'));
    const found = await Promise.all(homes.map((h) => stat(join(root, 'storage', h, 'on-the-nas.txt')).catch(() => undefined)));
    const file = found.find(Boolean);
    expect(file?.uid).toBe(10001);
    // The other slot shares database and storage.
    expect(await apiClient(ports.green).listNames(await apiClient(ports.green).login('admin', TEST_SECRETS.dbPassword))).toContain(
      'on-the-nas.txt',
    );
  });

  it('gives each slot the health check, restart policy, log limits and stop grace the program sets', async () => {
    for (const slot of ['blue', 'green'] as const) {
      const declared = program.byName(`app-${slot}`).inputs as { stopTimeout: number; restart: string; logOpts: Record<string, string> };
      const [c] = JSON.parse((await docker(['inspect', `baluhost-app-${slot}`])).stdout) as {
        Config: { StopTimeout: number; User: string; Healthcheck: { Test: string[] } };
        HostConfig: { RestartPolicy: { Name: string }; LogConfig: { Type: string; Config: Record<string, string> } };
        State: { Health: { Status: string } };
      }[];
      expect(c?.Config.StopTimeout).toBe(declared.stopTimeout);
      expect(c?.Config.User).toBe('10001:10001');
      expect(c?.HostConfig.RestartPolicy.Name).toBe(declared.restart);
      expect(c?.HostConfig.LogConfig).toEqual({ Type: 'json-file', Config: declared.logOpts });
      expect(c?.Config.Healthcheck.Test.join(' ')).toContain('baluhost health');
      expect(c?.State.Health.Status).toBe('healthy');
    }
  });

  it('takes the pre-deploy backup inside the running slot on the next release', async () => {
    const next = await runProgram(sectionsWith({ app: { release: 'engine-r2' } }, sections), 'engine');
    const script = String(next.byName('app-predeploy-backup').inputs['create']);
    const out = await run('/usr/bin/ssh', [
      '-i',
      join(sshd.dir, 'client'),
      '-o',
      'StrictHostKeyChecking=no',
      '-o',
      'UserKnownHostsFile=/dev/null',
      '-p',
      String(sshd.target.port),
      'root@127.0.0.1',
      script,
    ]);
    expect(out.stdout).toContain('pre-deploy backup in baluhost-app-blue');
    expect(out.stdout).toMatch(/Backup written: \/backups\/baluhost-database-/);
    expect((await readdir(join(root, 'backups'))).some((f) => f.startsWith('baluhost-database-'))).toBe(true);
  });
});
