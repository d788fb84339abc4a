/**
 * A simulated NAS for release tests: sshd on loopback, nginx with the rendered config, one
 * PostgreSQL database, and the real API run as two processes standing in for the blue and green
 * containers. The stack driver is the thin adapter in place of `stack.up()`: it runs the real
 * migration and (re)starts slot processes; everything else the release code does for real.
 * An image whose name contains `broken` asks for more free disk than any disk has, so its /api/ready fails.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Slot, StackConfig } from '../../stacks/config/index.js';
import { q, SshSession } from '../../stacks/remote/index.js';
import { withChanges } from '../../stacks/release/deploy.js';
import {
  parseHistory,
  type ReleaseDeps,
  type ReleaseRecord,
  type ReleaseTimings,
  type SlotCommands,
  type StackDriver,
} from '../../stacks/release/index.js';
import { renderIntoRoot, selfSignedCertificate, type HostRoot } from './host-root.js';
import { freePorts, startNginx, type RunningNginx } from './nginx.js';
import { createThrowawayDatabase, type ThrowawayDatabase } from './postgres.js';
import { runScript } from './scripts.js';
import { startSshd, type RunningSshd } from './sshd.js';
import { stackConfig } from './stack-configs.js';

const ROOT = resolve(import.meta.dirname, '../..');
const SECRET = 'e2e-secret-key-that-is-long-enough-for-production-0123456789';

export const FAST_TIMINGS: ReleaseTimings = {
  gateSuccesses: 3,
  gateTimeoutSeconds: 6,
  gateIntervalSeconds: 0.3,
  watchSeconds: 4,
  watchIntervalSeconds: 0.5,
  maxServerErrorRatio: 0.01,
};

export class SimulatedNas {
  config!: StackConfig;
  host!: HostRoot;
  sshd!: RunningSshd;
  nginx!: RunningNginx;
  db!: ThrowawayDatabase;
  readonly processes = new Map<Slot, { child: ChildProcess; image: string }>();
  readonly applied: { slot: Slot; image: string }[] = [];

  static async start(): Promise<SimulatedNas> {
    const nas = new SimulatedNas();
    await nas.boot();
    return nas;
  }

  /** The image each slot runs now (undefined: not running). */
  imageOf(slot: Slot): string | undefined {
    return this.processes.get(slot)?.image;
  }

  protected async startDatabase(): Promise<void> {
    this.db = await createThrowawayDatabase('baluhost_e2e');
  }

  protected async boot(): Promise<void> {
    const nas = this as SimulatedNas;
    const [http, https, blue, green] = await freePorts(4);
    nas.sshd = await startSshd();
    await nas.startDatabase();
    nas.config = stackConfig({
      host: { address: '127.0.0.1', sshPort: nas.sshd.target.port, sshUser: 'root', hostKey: nas.sshd.target.hostKey },
      domains: ['nas.test'],
      nginx: { httpPort: http, httpsPort: https },
      app: { slots: { blue, green }, activeSlot: 'blue', slotImages: { blue: 'baluhost:v1', green: 'baluhost:v1' }, release: 'r1' },
    });
    nas.host = await renderIntoRoot(nas.config);
    await selfSignedCertificate(nas.host.layout, 'nas.test');
    await nas.migrate();
    await nas.startSlot('blue', 'baluhost:v1');
    await nas.startSlot('green', 'baluhost:v1');
    nas.nginx = await startNginx(nas.host.layout);
  }

  get httpsPort(): number {
    return this.config.nginx.httpsPort;
  }

  env(slot: Slot, image: string): Record<string, string> {
    const base = join(this.host.root, 'slots', slot);
    return {
      PATH: process.env['PATH'] ?? '',
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(this.config.app.slots[slot]),
      DATABASE_URL: this.db.url,
      BALUHOST_SECRET_KEY: SECRET,
      BALUHOST_DATA_DIR: join(base, 'data'),
      BALUHOST_STORAGE_ROOT: join(base, 'storage'),
      ...(image.includes('broken') ? { BALUHOST_READY_MIN_FREE_BYTES: String(Number.MAX_SAFE_INTEGER) } : {}),
      BALUHOST_RELEASE: image,
      BALUHOST_AUTO_MIGRATE: 'false',
      BALUHOST_SHUTDOWN_TIMEOUT_MS: '5000',
      // The load generator shares 2 cores with both slots, nginx and sshd: tolerate that lag.
      BALUHOST_MAX_EVENT_LOOP_DELAY_MS: '5000',
      LOG_LEVEL: 'warn',
    };
  }

  async migrate(): Promise<void> {
    const run = await runScript('scripts/db-migrate.ts', ['up'], {
      env: { DATABASE_URL: this.db.url, NODE_ENV: 'production', BALUHOST_SECRET_KEY: SECRET },
    });
    if (run.code !== 0) throw new Error(`migration failed: ${run.stderr}`);
  }

  async startSlot(slot: Slot, image: string): Promise<void> {
    await this.stopSlot(slot);
    const env = this.env(slot, image);
    await mkdir(env['BALUHOST_DATA_DIR'] as string, { recursive: true });
    // A new release starts from working storage (breakSlot may have left a file in its place).
    await rm(join(this.host.root, 'slots', slot, 'storage'), { force: true }).catch(() => undefined);
    const child = spawn(process.execPath, ['--import', 'tsx', 'app/src/server.ts'], { cwd: ROOT, env, stdio: 'ignore' });
    this.processes.set(slot, { child, image });
    // What a container's `wait` does: return once the process answers (liveness, not readiness).
    for (let i = 0; i < 300; i++) {
      const ok = await fetch(`http://127.0.0.1:${this.config.app.slots[slot]}/api/health`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return;
      if (child.exitCode !== null) throw new Error(`slot ${slot} exited with ${child.exitCode}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`slot ${slot} never answered`);
  }

  async stopSlot(slot: Slot): Promise<void> {
    const running = this.processes.get(slot);
    if (!running || running.child.exitCode !== null) return;
    running.child.kill('SIGTERM');
    await new Promise((r) => running.child.once('exit', r));
  }

  /** The release history as the NAS holds it (read locally: the NAS is this machine). */
  async history(): Promise<ReleaseRecord[]> {
    return parseHistory(await readFile(this.host.layout.releaseHistory, 'utf8').catch(() => ''));
  }

  /** Makes a running slot's storage unusable: its /api/ready starts failing, its other answers keep working. */
  async breakStorage(slot: Slot): Promise<void> {
    const storage = this.env(slot, 'x')['BALUHOST_STORAGE_ROOT'] as string;
    await rm(storage, { recursive: true, force: true });
    await writeFile(storage, 'not a folder any more');
  }

  driver(): StackDriver {
    const apply = async (next: StackConfig) => {
      for (const slot of ['blue', 'green'] as const) {
        const image = next.app.slotImages[slot] ?? next.app.image ?? 'baluhost:built';
        if (this.imageOf(slot) !== image) {
          await this.migrate();
          await this.startSlot(slot, image);
          this.applied.push({ slot, image });
        }
      }
    };
    return {
      config: async () => this.config,
      apply: async (changes) => {
        const next = withChanges(this.config, changes);
        await apply(next);
        this.config = next;
      },
      record: async (changes) => {
        this.config = withChanges(this.config, changes);
      },
      restore: async (config) => {
        await apply(config);
        this.config = config;
      },
    };
  }

  slotCommands(): SlotCommands {
    const env = this.env('blue', 'backup');
    const prefix = `cd ${q(ROOT)} && env DATABASE_URL=${q(this.db.url)} BALUHOST_SECRET_KEY=${q(SECRET)} BALUHOST_DATA_DIR=${q(env['BALUHOST_DATA_DIR'] as string)} NODE_ENV=production ${q(process.execPath)} --import tsx`;
    return {
      backup: () => `${prefix} scripts/backup-database.ts --out-dir ${q(this.host.layout.backupDir)}`,
      restore: (_config, file) => `${prefix} scripts/restore-database.ts --backup ${q(file)} --yes`,
      // Slots are processes here, not containers: a health answer stands for "running healthy".
      states: (config) =>
        ['blue', 'green']
          .map(
            (slot) =>
              `printf '%s %s\\n' ${q(`baluhost-app-${slot}`)} "$(curl -fs -o /dev/null --max-time 2 ${q(`http://127.0.0.1:${config.app.slots[slot as Slot]}/api/health`)} && echo 'running healthy' || echo 'exited none')"`,
          )
          .join('\n'),
    };
  }

  private sessions: SshSession[] = [];

  /** Release dependencies as a script builds them: one SSH session per operation. */
  deps(timings: ReleaseTimings = FAST_TIMINGS, who = 'e2e'): ReleaseDeps {
    let session: Promise<SshSession> | undefined;
    const open = () => {
      session ??= SshSession.open(this.sshd.target).then((s) => {
        this.sessions.push(s);
        return s;
      });
      return session;
    };
    return {
      host: { run: async (command, stdin) => (await open()).run(command, { stdin }), options: { sudo: false } },
      stack: this.driver(),
      slots: this.slotCommands(),
      timings,
      who,
      gitCommit: 'e2e0000',
      minFreeKiB: 1024,
      root: this.host.root,
    };
  }

  async stop(): Promise<void> {
    for (const s of this.sessions) s.close();
    await this.nginx?.stop();
    for (const slot of ['blue', 'green'] as const) await this.stopSlot(slot);
    await this.sshd?.stop();
    await this.db?.drop();
    await this.host?.close();
  }
}
