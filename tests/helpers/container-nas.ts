/**
 * The simulated NAS with the slots as containers of the real image and PostgreSQL as the postgres
 * image's container, under the names the program gives them. Everything else (sshd, nginx from the
 * rendered config, the release code) is the same as SimulatedNas. Release images are tags of the
 * test image; a `broken` one is a real derived image whose readiness check cannot pass.
 */
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Slot } from '../../stacks/config/index.js';
import { DATABASE_CONTAINER, DATABASE_NETWORK, EDGE_NETWORK } from '../../stacks/components/index.js';
import { dockerSlotCommands } from '../../stacks/release/docker-slot-commands.js';
import type { SlotCommands } from '../../stacks/release/index.js';
import { APP_UID, CONTAINER_PATHS, slotContainerName } from '../../templates/index.js';
import { APP_IMAGE, POSTGRES_IMAGE } from './container-images.js';
import { acquireMachineLock, docker, removeDockerObjects } from './docker-engine.js';
import { freePorts } from './nginx.js';
import { SimulatedNas } from './simulated-nas.js';

const run = promisify(execFile);
const SECRET = 'e2e-secret-key-that-is-long-enough-for-production-0123456789';
const DB_PASSWORD = 'e2e-container-db-password-0123456789';
const BROKEN_IMAGE = 'baluhost-app:test-broken';
const NAMES = {
  containers: [DATABASE_CONTAINER, slotContainerName('blue'), slotContainerName('green')],
  networks: [DATABASE_NETWORK, EDGE_NETWORK],
};

export class ContainerNas extends SimulatedNas {
  private readonly images = new Map<Slot, string>();
  private releaseNames: (() => Promise<void>) | undefined;

  static override async start(): Promise<ContainerNas> {
    const nas = new ContainerNas();
    nas.releaseNames = await acquireMachineLock('fixed-container-names');
    await removeDockerObjects(NAMES);
    // A release whose /api/ready can never pass: it asks for more free disk than any disk has.
    await docker(['build', '-q', '-t', BROKEN_IMAGE, '-'], {
      input: `FROM ${APP_IMAGE}\nENV BALUHOST_READY_MIN_FREE_BYTES=${Number.MAX_SAFE_INTEGER}\n`,
    });
    await nas.boot();
    return nas;
  }

  override imageOf(slot: Slot): string | undefined {
    return this.images.get(slot);
  }

  protected override async startDatabase(): Promise<void> {
    await docker(['network', 'create', '--internal', DATABASE_NETWORK]);
    await docker(['network', 'create', EDGE_NETWORK]);
    const [port] = (await freePorts(1)) as [number];
    await docker([
      'create',
      '--name',
      DATABASE_CONTAINER,
      '--network',
      DATABASE_NETWORK,
      '--network-alias',
      'postgres',
      '-e',
      'POSTGRES_USER=baluhost',
      '-e',
      `POSTGRES_PASSWORD=${DB_PASSWORD}`,
      '-e',
      'POSTGRES_DB=baluhost',
      '--health-cmd',
      'pg_isready -U baluhost -d baluhost',
      '--health-interval',
      '1s',
      // Published only so the test itself can look into the database; the slots use the internal network.
      '-p',
      `127.0.0.1:${port}:5432`,
      POSTGRES_IMAGE,
    ]);
    await docker(['network', 'connect', EDGE_NETWORK, DATABASE_CONTAINER]);
    await docker(['start', DATABASE_CONTAINER]);
    for (let i = 0; i < 120; i++) {
      if ((await docker(['exec', DATABASE_CONTAINER, 'pg_isready', '-U', 'baluhost', '-d', 'baluhost'], { allowFailure: true })).code === 0)
        break;
      await new Promise((r) => setTimeout(r, 500));
    }
    this.db = {
      name: 'baluhost',
      url: `postgres://baluhost:${DB_PASSWORD}@127.0.0.1:${port}/baluhost`,
      drop: async () => undefined,
    };
  }

  private containerEnv(image: string): string[] {
    const env: Record<string, string> = {
      NODE_ENV: 'production',
      DATABASE_URL: `postgres://baluhost:${DB_PASSWORD}@${DATABASE_CONTAINER}:5432/baluhost`,
      BALUHOST_SECRET_KEY: SECRET,
      BALUHOST_STORAGE_ROOT: CONTAINER_PATHS.storage,
      BALUHOST_BACKUP_DIR: CONTAINER_PATHS.backups,
      BALUHOST_RELEASE: image,
      // nginx on the host reaches the slots through Docker's port publishing.
      BALUHOST_TRUSTED_PROXIES: '127.0.0.1,::1,172.16.0.0/12,192.168.0.0/16',
      BALUHOST_MAX_EVENT_LOOP_DELAY_MS: '5000',
      LOG_LEVEL: 'warn',
    };
    return Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  }

  /** Release tags stand for the test image; a `broken` one for the derived image. */
  private async imageFor(tag: string): Promise<string> {
    const source = tag.includes('broken') ? BROKEN_IMAGE : APP_IMAGE;
    const ref = tag.includes(':') ? tag : `${tag}:latest`;
    await docker(['tag', source, ref]);
    return ref;
  }

  override async migrate(): Promise<void> {
    const result = await docker(
      [
        'run',
        '--rm',
        '--network',
        DATABASE_NETWORK,
        ...this.containerEnv('migration'),
        await this.imageFor('baluhost:migrate'),
        'baluhost',
        'migrate',
      ],
      { allowFailure: true },
    );
    if (result.code !== 0) throw new Error(`migration failed: ${result.stderr}`);
  }

  private folder(slot: Slot, name: string): string {
    return join(this.host.root, 'slots', slot, name);
  }

  override async startSlot(slot: Slot, image: string): Promise<void> {
    await this.stopSlot(slot);
    for (const name of ['data', 'storage']) {
      await mkdir(this.folder(slot, name), { recursive: true });
      await run('chown', [`${APP_UID}:${APP_UID}`, this.folder(slot, name)]);
      await run('chmod', ['0750', this.folder(slot, name)]);
    }
    await mkdir(this.host.layout.backupDir, { recursive: true });
    await run('chown', [`${APP_UID}:${APP_UID}`, this.host.layout.backupDir]);
    const name = slotContainerName(slot);
    await docker([
      'create',
      '--name',
      name,
      '--network',
      DATABASE_NETWORK,
      '-p',
      `127.0.0.1:${this.config.app.slots[slot]}:8000`,
      ...this.containerEnv(image),
      '-v',
      `${this.folder(slot, 'data')}:${CONTAINER_PATHS.data}`,
      '-v',
      `${this.folder(slot, 'storage')}:${CONTAINER_PATHS.storage}`,
      '-v',
      `${this.host.layout.backupDir}:${CONTAINER_PATHS.backups}`,
      '--user',
      `${APP_UID}:${APP_UID}`,
      '--stop-timeout',
      '45',
      // The image checks every 15 s; the probe reads health soon after a restart here.
      '--health-interval',
      '1s',
      await this.imageFor(image),
    ]);
    await docker(['network', 'connect', EDGE_NETWORK, name]);
    await docker(['start', name]);
    this.images.set(slot, image);
    for (let i = 0; i < 600; i++) {
      const ok = await fetch(`http://127.0.0.1:${this.config.app.slots[slot]}/api/health`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return;
      const state = (await docker(['inspect', '--format', '{{.State.Status}}', name])).stdout.trim();
      if (state === 'exited')
        throw new Error(`slot ${slot} exited: ${(await docker(['logs', '--tail', '20', name], { allowFailure: true })).stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`slot ${slot} never answered`);
  }

  override async stopSlot(slot: Slot): Promise<void> {
    if (!this.images.has(slot)) return;
    await docker(['stop', slotContainerName(slot)], { allowFailure: true });
    await docker(['rm', '-f', slotContainerName(slot)], { allowFailure: true });
    this.images.delete(slot);
  }

  /** The slot's storage folder becomes unusable for uid 10001: its /api/ready fails, the rest keeps working. */
  override async breakStorage(slot: Slot): Promise<void> {
    await run('chmod', ['0000', this.folder(slot, 'storage')]);
  }

  /** The program's own slot commands: backups and restores run inside the serving container. */
  override slotCommands(): SlotCommands {
    return dockerSlotCommands;
  }

  override async stop(): Promise<void> {
    await super.stop();
    await removeDockerObjects(NAMES);
    await this.releaseNames?.();
  }
}
