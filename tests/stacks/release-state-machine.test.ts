/**
 * The deploy and rollback state machines, step by step, in seconds: the release code runs its real
 * host scripts (lock, history, df, health gate, nginx switch, file install) through a local shell
 * against a rendered host root with a real nginx, and two tiny HTTP servers stand in for the slots
 * so each test decides what the new release answers. The stack driver is an in-memory config.
 * The end-to-end test (tests/e2e/release.test.ts) runs the same code against the real API over SSH.
 */
import { spawn } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DeployLockError, ReleaseError } from '../../app/src/errors/index.js';
import type { Slot, StackConfig } from '../../stacks/config/index.js';
import { deployRelease, withChanges, withDeployLock } from '../../stacks/release/deploy.js';
import {
  parseHistory,
  probeHost,
  rollbackRelease,
  type ReleaseDeps,
  type ReleaseHost,
  type ReleaseRecord,
  type ReleaseTimings,
  type StackDriver,
} from '../../stacks/release/index.js';
import { q, type RemoteResult } from '../../stacks/remote/index.js';
import { renderIntoRoot, selfSignedCertificate, type HostRoot } from '../helpers/host-root.js';
import { fetchVia, freePorts, startNginx, type RunningNginx } from '../helpers/nginx.js';
import { stackConfig } from '../helpers/stack-configs.js';

const TIMINGS: ReleaseTimings = {
  gateSuccesses: 2,
  gateTimeoutSeconds: 2,
  gateIntervalSeconds: 0.1,
  watchSeconds: 0.5,
  watchIntervalSeconds: 0.15,
  maxServerErrorRatio: 0.01,
};

/** What a stand-in slot answers: readiness (optionally failing after some answers) and growing request counters. */
interface SlotBehaviour {
  readyAnswers: number[];
  readyAfter: number;
  requestsPerSample: number;
  errorsPerSample: number;
}

const healthy = (): SlotBehaviour => ({ readyAnswers: [], readyAfter: 200, requestsPerSample: 100, errorsPerSample: 0 });

/**
 * Runs host scripts with a local shell. `unreachable` makes every command fail like a dead SSH link;
 * `answer` replaces the result of chosen commands, for host failures a real NAS would produce
 * (a full disk, a file changed behind our back) that this machine cannot be made to.
 */
function localHost(
  options: { unreachable?: boolean; answer?: (command: string) => RemoteResult | undefined } = {},
): ReleaseHost & { commands: string[] } {
  const commands: string[] = [];
  return {
    commands,
    options: { sudo: false },
    run(command, stdin) {
      commands.push(command);
      if (options.unreachable) return Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:22'));
      const answered = options.answer?.(command);
      if (answered) return Promise.resolve(answered);
      return new Promise((resolve, reject) => {
        const child = spawn('sh', ['-c', command], { stdio: 'pipe' });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('error', reject);
        // A script that never reads stdin may exit before it is written: that is not a failure.
        child.stdin.on('error', () => undefined);
        child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
        child.stdin.end(stdin ?? '');
      });
    },
  };
}

/** The stack's config in memory, recording what the release code asked of it. */
function memoryStack(initial: StackConfig, options: { applyFails?: string } = {}) {
  const state = { config: initial, calls: [] as string[] };
  const driver: StackDriver = {
    config: async () => state.config,
    apply: async (changes) => {
      state.calls.push(`apply ${JSON.stringify(changes)}`);
      if (options.applyFails) throw new Error(options.applyFails);
      state.config = withChanges(state.config, changes);
    },
    record: async (changes) => {
      state.calls.push(`record ${JSON.stringify(changes)}`);
      state.config = withChanges(state.config, changes);
    },
    restore: async (config) => {
      state.calls.push(`restore ${config.app.release}`);
      state.config = config;
    },
  };
  return { state, driver };
}

/** The error an operation failed with; an operation that succeeds fails the test. */
async function failureOf(work: Promise<unknown>): Promise<ReleaseError> {
  try {
    await work;
  } catch (err) {
    return err as ReleaseError;
  }
  throw new Error('the operation succeeded; it should have failed');
}

describe('release state machine', () => {
  let ports: { http: number; https: number; blue: number; green: number };
  const behaviour: Record<Slot, SlotBehaviour> = { blue: healthy(), green: healthy() };
  const samples: Record<Slot, { requests: number; errors: number }> = {
    blue: { requests: 0, errors: 0 },
    green: { requests: 0, errors: 0 },
  };
  const metricsHits: Record<Slot, number> = { blue: 0, green: 0 };
  const servers: Server[] = [];
  let nas: HostRoot;
  let nginx: RunningNginx;
  let initial: StackConfig;

  beforeAll(async () => {
    const [http, https, blue, green] = await freePorts(4);
    ports = { http: http as number, https: https as number, blue: blue as number, green: green as number };
    for (const slot of ['blue', 'green'] as const) {
      const server = createServer((req, res) => {
        const b = behaviour[slot];
        if (req.url === '/api/ready') {
          const answer = b.readyAnswers.shift() ?? b.readyAfter;
          res.statusCode = answer;
          res.end(answer === 200 ? '{"status":"ready"}' : '{"status":"not ready"}');
        } else if (req.url === '/metrics') {
          metricsHits[slot] += 1;
          const s = samples[slot];
          s.requests += b.requestsPerSample;
          s.errors += b.errorsPerSample;
          res.end(
            `baluhost_http_request_duration_seconds_count{method="GET",route="/api/files",status="200"} ${s.requests - s.errors}\n` +
              `baluhost_http_request_duration_seconds_count{method="GET",route="/api/files",status="500"} ${s.errors}\n`,
          );
        } else {
          res.end(slot);
        }
      });
      await new Promise<void>((r) => server.listen(ports[slot], '127.0.0.1', r));
      servers.push(server);
    }
  });

  afterAll(async () => {
    for (const server of servers) await new Promise((r) => server.close(r));
  });

  beforeAll(async () => {
    initial = stackConfig({
      domains: ['nas.test'],
      nginx: { httpPort: ports.http, httpsPort: ports.https },
      app: {
        slots: { blue: ports.blue, green: ports.green },
        activeSlot: 'blue',
        slotImages: { blue: 'baluhost:v1', green: 'baluhost:v1' },
        release: 'r1',
      },
    });
    nas = await renderIntoRoot(initial);
    await selfSignedCertificate(nas.layout, 'nas.test');
    nginx = await startNginx(nas.layout);
  });

  afterAll(async () => {
    await nginx?.stop();
    await nas?.close();
  });

  /** Every test starts from release r1 served by blue, with no history and no lock. */
  beforeEach(async () => {
    behaviour.blue = healthy();
    behaviour.green = healthy();
    await rm(nas.layout.releaseHistory, { force: true });
    await rm(nas.layout.hostLock, { recursive: true, force: true });
    await rm(join(nas.root, 'restores.log'), { force: true });
    const upstream = nas.file('nginx-upstream');
    if ((await readFile(upstream.path, 'utf8')) !== upstream.content) {
      await writeFile(upstream.path, upstream.content);
      await nginx.reload();
    }
  });

  const backupFile = () => join(nas.layout.backupDir, 'baluhost-20261129.tar.gz');
  const goodBackup = () => `printf 'Backup written: %s\\nVerified: sha256 and scratch restore\\n' ${q(backupFile())}`;

  function deps(
    stack: StackDriver,
    overrides: Partial<ReleaseDeps> & { backup?: string } = {},
  ): ReleaseDeps & { host: ReturnType<typeof localHost> } {
    const { backup, ...rest } = overrides;
    return {
      host: localHost(),
      stack,
      slots: {
        backup: () => backup ?? goodBackup(),
        restore: (_config, file) => `echo "restored ${file}" >> ${q(join(nas.root, 'restores.log'))}`,
      },
      timings: TIMINGS,
      who: 'operator',
      gitCommit: 'abc1234',
      now: () => new Date('2026-11-29T01:00:00Z'),
      minFreeKiB: 1024,
      root: nas.root,
      ...rest,
    } as ReleaseDeps & { host: ReturnType<typeof localHost> };
  }

  const history = async (): Promise<ReleaseRecord[]> => parseHistory(await readFile(nas.layout.releaseHistory, 'utf8').catch(() => ''));
  const steps = async () => (await history()).map((r) => `${r.operation} ${r.release} ${r.step}${r.outcome ? ` ${r.outcome}` : ''}`);

  /** Which slot nginx sends clients to; a reload takes effect within moments, so ask until it settles. */
  async function served(expected: Slot): Promise<string> {
    let body = '';
    for (let i = 0; i < 20; i++) {
      body = (await fetchVia('https', ports.https, '/')).body;
      if (body === expected) return body;
      await new Promise((r) => setTimeout(r, 100));
    }
    return body;
  }

  describe('deploy', () => {
    it('puts the new image on the idle slot, gates it, switches nginx and records every step', async () => {
      const stack = memoryStack(initial);
      const logged: string[] = [];
      metricsHits.green = 0;
      const d = deps(stack.driver, { log: (line) => logged.push(line) });
      const result = await deployRelease({ image: 'baluhost:v2', release: 'r2' }, d);

      expect(result).toMatchObject({ release: 'r2', outcome: 'succeeded', slot: 'green' });
      expect(result.switchMs).toBeGreaterThanOrEqual(0);
      expect(result.switchMs).toBeLessThan(60_000);
      expect(logged).toEqual([
        'release r2: baluhost:v2 → green slot (serving: blue)',
        `backup: ${backupFile()} (verified)`,
        `switched to green in ${result.switchMs} ms; watching for ${TIMINGS.watchSeconds} s`,
        'release r2 is live on green',
      ]);
      // The watch samples at its interval, not in a tight loop.
      // At most one sample per interval: 1 + 0.5 s / 0.15 s.
      expect(metricsHits.green).toBeLessThanOrEqual(5);
      expect(await served('green')).toBe('green');
      expect(stack.state.config.app).toMatchObject({
        activeSlot: 'green',
        release: 'r2',
        slotImages: { blue: 'baluhost:v1', green: 'baluhost:v2' },
      });
      expect(stack.state.calls).toEqual(['apply {"slotImages":{"green":"baluhost:v2"},"release":"r2"}', 'record {"activeSlot":"green"}']);
      expect(await steps()).toEqual([
        'deploy r2 started',
        'deploy r2 backup',
        'deploy r2 up',
        'deploy r2 health-gate',
        'deploy r2 switched',
        'deploy r2 finished succeeded',
      ]);

      const records = await history();
      for (const r of records)
        expect(r).toMatchObject({
          who: 'operator',
          gitCommit: 'abc1234',
          image: 'baluhost:v2',
          slot: 'green',
          previousSlot: 'blue',
          at: '2026-11-29T01:00:00.000Z',
        });
      expect(records[1]?.backup).toEqual({ file: backupFile(), verified: true });
      expect(records[3]?.health?.ok).toBe(true);
      const finished = records.at(-1) as ReleaseRecord;
      expect(finished.backup).toEqual({ file: backupFile(), verified: true });
      expect((finished.config as StackConfig).app).toMatchObject({ activeSlot: 'green', release: 'r2' });
      expect(finished.configHash).toMatch(/^[0-9a-f]{64}$/);
      expect(finished.configHash).toBe(records[0]?.configHash);
      expect(finished.manifestHash).toBe(records[4]?.manifestHash);
      expect(finished.durationMs).toBeGreaterThanOrEqual(0);
      expect(finished.durationMs).toBeLessThan(60_000);
      // The lock is given back: the next release can start.
      await expect(deployRelease({ image: 'baluhost:v3', release: 'r3' }, deps(stack.driver))).resolves.toMatchObject({
        outcome: 'succeeded',
        slot: 'blue',
      });
    });

    it('records a backup without a verification line as unverified', async () => {
      const stack = memoryStack(initial);
      const logged: string[] = [];
      await deployRelease(
        { image: 'baluhost:v2', release: 'r2' },
        deps(stack.driver, {
          backup: `echo "Backup written: ${backupFile()}"; echo "Not Verified: skipped"`,
          log: (line) => logged.push(line),
        }),
      );
      expect((await history())[1]?.backup).toEqual({ file: backupFile(), verified: false });
      expect(logged).toContain(`backup: ${backupFile()}`);
    });

    it("holds the deploy lock in the release's name while it works", async () => {
      const stack = memoryStack(initial);
      const holder = `${nas.layout.hostLock}/holder`;
      await failureOf(deployRelease({ image: 'baluhost:v2', release: 'r2' }, deps(stack.driver, { backup: `cat ${q(holder)}; exit 1` })));
      expect((await history())[1]?.reason).toBe('pre-deploy backup failed: deploy r2 by operator since 2026-11-29T01:00:00.000Z');
    });

    it('treats a backup that names its file but exits non-zero as failed', async () => {
      const stack = memoryStack(initial);
      const error = await failureOf(
        deployRelease(
          { image: 'baluhost:v2', release: 'r2' },
          deps(stack.driver, { backup: `echo "Backup written: ${backupFile()}"; echo 'verification failed' >&2; exit 1` }),
        ),
      );
      expect(error.message).toBe('backup: pre-deploy backup failed (exit 1); nothing was changed: verification failed');
      expect(stack.state.calls).toEqual([]);
    });

    it('refuses an unreachable NAS before writing anything', async () => {
      const stack = memoryStack(initial);
      const d = deps(stack.driver, { host: localHost({ unreachable: true }) });
      const error = await failureOf(deployRelease({ image: 'baluhost:v2', release: 'r2' }, d));
      expect(error).toBeInstanceOf(ReleaseError);
      expect(error.step).toBe('preflight');
      expect((error as Error).message).toContain('not reachable over SSH: connect ECONNREFUSED');
      expect(stack.state.calls).toEqual([]);
      expect(await history()).toEqual([]);
    });

    it('refuses a NAS where even a trivial command fails', async () => {
      const stack = memoryStack(initial);
      const host = localHost();
      const broken: ReleaseHost = {
        options: host.options,
        run: (command, stdin) =>
          command === 'true' ? Promise.resolve({ code: 126, stdout: '', stderr: 'permission denied' }) : host.run(command, stdin),
      };
      await expect(deployRelease({ image: 'baluhost:v2', release: 'r2' }, deps(stack.driver, { host: broken }))).rejects.toThrow(
        'preflight: SSH works but a trivial command failed (exit 126)',
      );
      expect(stack.state.calls).toEqual([]);
    });

    it('refuses to start without room for the pre-deploy backup', async () => {
      const stack = memoryStack(initial);
      const error = await failureOf(
        deployRelease({ image: 'baluhost:v2', release: 'r2' }, deps(stack.driver, { minFreeKiB: Number.MAX_SAFE_INTEGER })),
      );
      expect(error.message).toMatch(/^preflight: only \d+ KiB free for the backup folder; need 9007199254740991$/);
      expect(stack.state.calls).toEqual([]);
      expect(await history()).toEqual([]);
    });

    it('fails at once, naming the holder, while another operation holds the deploy lock', async () => {
      const stack = memoryStack(initial);
      const d = deps(stack.driver);
      await withDeployLock(d, initial, 'promote r9', async () => {
        const error = await failureOf(deployRelease({ image: 'baluhost:v2', release: 'r2' }, deps(stack.driver)));
        expect(error).toBeInstanceOf(DeployLockError);
        expect(error.message).toContain('is held by: promote r9 by operator since 2026-11-29T01:00:00.000Z');
      });
      expect(stack.state.calls).toEqual([]);
      expect(await history()).toEqual([]);
      await expect(deployRelease({ image: 'baluhost:v2', release: 'r2' }, d)).resolves.toMatchObject({ outcome: 'succeeded' });
    });

    it('says who holds the lock when taking it fails for another reason, and changes nothing', async () => {
      const stack = memoryStack(initial);
      const host = localHost({
        answer: (c) =>
          c.includes('deploy.lock') && c.includes('mkdir')
            ? { code: 1, stdout: '', stderr: 'install: cannot create directory: Read-only file system\n' }
            : undefined,
      });
      const error = await failureOf(deployRelease({ image: 'baluhost:v2', release: 'r2' }, deps(stack.driver, { host })));
      expect(error).not.toBeInstanceOf(DeployLockError);
      expect(error.message).toBe('preflight: could not take the deploy lock: install: cannot create directory: Read-only file system');
      expect(stack.state.calls).toEqual([]);
    });

    it('stops when the release history cannot be written, before changing anything', async () => {
      const stack = memoryStack(initial);
      const host = localHost({
        answer: (c) => (c.includes('line=$(cat)') ? { code: 1, stdout: '', stderr: 'No space left on device\n' } : undefined),
      });
      const error = await failureOf(deployRelease({ image: 'baluhost:v2', release: 'r2' }, deps(stack.driver, { host })));
      expect(error.message).toBe('history: could not append to the release history: No space left on device');
      expect(stack.state.calls).toEqual([]);
      // The lock was given back on the way out.
      await expect(deployRelease({ image: 'baluhost:v2', release: 'r2' }, deps(stack.driver))).resolves.toMatchObject({
        outcome: 'succeeded',
      });
    });

    it('keeps the old slot serving when nginx refuses the switch', async () => {
      const stack = memoryStack(initial);
      const host = localHost({
        answer: (c) =>
          c.includes('upstream: validation failed') && !c.includes('baluhost-app-blue') && c.includes(String(ports.green))
            ? { code: 1, stdout: '', stderr: 'upstream: validation failed (nginx -t)\n' }
            : undefined,
      });
      const error = await failureOf(deployRelease({ image: 'baluhost:v2', release: 'r2' }, deps(stack.driver, { host })));
      expect(error.step).toBe('switch');
      expect(error.message).toBe('switch: nginx was not switched to green: upstream: validation failed (nginx -t)');
      expect(await served('blue')).toBe('blue');
      expect(stack.state.config.app.activeSlot).toBe('blue');
    });

    it('stamps each record with the time it was written when no clock is given', async () => {
      const stack = memoryStack(initial);
      const before = Date.now();
      const { now: _unused, ...withoutClock } = deps(stack.driver);
      await deployRelease({ image: 'baluhost:v2', release: 'r2' }, withoutClock);
      for (const record of await history()) {
        expect(Date.parse(record.at)).toBeGreaterThanOrEqual(before - 1000);
        expect(Date.parse(record.at)).toBeLessThanOrEqual(Date.now());
      }
    });

    it('stops before changing anything when the pre-deploy backup fails, and says why in the history', async () => {
      const stack = memoryStack(initial);
      const error = await failureOf(
        deployRelease(
          { image: 'baluhost:v2', release: 'r2' },
          deps(stack.driver, { backup: `echo 'pg_dump: no space left on device' >&2; exit 3` }),
        ),
      );
      expect(error).toBeInstanceOf(ReleaseError);
      expect(error.step).toBe('backup');
      expect(error.message).toBe('backup: pre-deploy backup failed (exit 3); nothing was changed: pg_dump: no space left on device');
      expect(stack.state.calls).toEqual([]);
      expect(await served('blue')).toBe('blue');
      expect(await steps()).toEqual(['deploy r2 started', 'deploy r2 failed failed']);
      expect((await history())[1]?.reason).toBe('pre-deploy backup failed: pg_dump: no space left on device');
      await expect(deployRelease({ image: 'baluhost:v2', release: 'r2' }, deps(stack.driver))).resolves.toMatchObject({
        outcome: 'succeeded',
      });
    });

    it('treats a backup that exits 0 without naming its file as failed', async () => {
      const stack = memoryStack(initial);
      await expect(
        deployRelease({ image: 'baluhost:v2', release: 'r2' }, deps(stack.driver, { backup: 'echo nothing to do' })),
      ).rejects.toThrow(
        new ReleaseError('backup', 'pre-deploy backup wrote no backup, so the release stops; nothing was changed: nothing to do'),
      );
      expect((await history())[1]?.reason).toBe('pre-deploy backup failed: nothing to do');
      expect(stack.state.calls).toEqual([]);
    });

    it('keeps traffic on the serving slot when `up` fails', async () => {
      const stack = memoryStack(initial, { applyFails: 'image baluhost:v2 not found' });
      const error = await failureOf(deployRelease({ image: 'baluhost:v2', release: 'r2' }, deps(stack.driver)));
      expect(error.step).toBe('up');
      expect(error.message).toBe('up: image baluhost:v2 not found; traffic still goes to blue');
      expect(stack.state.config.app.activeSlot).toBe('blue');
      expect(await served('blue')).toBe('blue');
      expect(await steps()).toEqual(['deploy r2 started', 'deploy r2 backup', 'deploy r2 failed failed']);
      expect((await history()).at(-1)?.reason).toBe('up failed: image baluhost:v2 not found');
    });

    it('never switches to a release that fails its health gate', async () => {
      behaviour.green.readyAfter = 503;
      const stack = memoryStack(initial);
      const logged: string[] = [];
      const result = await deployRelease({ image: 'baluhost:v2', release: 'r2' }, deps(stack.driver, { log: (line) => logged.push(line) }));
      expect(result.reason).toBe(result.reason?.trim());
      expect(logged.at(-1)).toBe(`health gate failed; traffic stays on blue: ${result.reason}`);
      expect(result).toMatchObject({ release: 'r2', outcome: 'failed', slot: 'blue' });
      expect(result.reason).toContain(`unhealthy: http://127.0.0.1:${ports.green}/api/ready had 0 of 2 consecutive successes`);
      expect(stack.state.config.app.activeSlot).toBe('blue');
      expect(stack.state.calls).toEqual(['apply {"slotImages":{"green":"baluhost:v2"},"release":"r2"}']);
      expect(await served('blue')).toBe('blue');
      expect(await steps()).toEqual([
        'deploy r2 started',
        'deploy r2 backup',
        'deploy r2 up',
        'deploy r2 health-gate',
        'deploy r2 finished failed',
      ]);
      const records = await history();
      expect(records[3]?.health).toEqual({ ok: false, detail: result.reason });
      expect(records[4]?.reason).toBe(`health gate: ${result.reason}`);
    });

    it('switches back when readiness through nginx fails during the watch window', async () => {
      // Ready for the gate (two answers), then not: the release breaks once it takes traffic.
      behaviour.green.readyAnswers = [200, 200];
      behaviour.green.readyAfter = 503;
      const stack = memoryStack(initial);
      const result = await deployRelease({ image: 'baluhost:v2', release: 'r2' }, deps(stack.driver));
      expect(result).toMatchObject({
        outcome: 'rolled-back',
        slot: 'blue',
        reason: '/api/ready through nginx answered 503 during the watch window',
      });
      expect(result.rollbackMs).toBeGreaterThanOrEqual(0);
      expect(result.rollbackMs).toBeLessThan(60_000);
      expect((await history()).at(-1)?.durationMs).toBeLessThan(60_000);
      expect(await served('blue')).toBe('blue');
      expect(stack.state.config.app.activeSlot).toBe('blue');
      expect(stack.state.calls.slice(1)).toEqual(['record {"activeSlot":"green"}', 'record {"activeSlot":"blue"}']);
      expect(await steps()).toEqual([
        'deploy r2 started',
        'deploy r2 backup',
        'deploy r2 up',
        'deploy r2 health-gate',
        'deploy r2 switched',
        'deploy r2 rolled-back rolled-back',
        'deploy r2 finished rolled-back',
      ]);
      const rolledBack = (await history())[5] as ReleaseRecord;
      expect(rolledBack).toMatchObject({ slot: 'blue', previousSlot: 'green', reason: result.reason });
    });

    it('switches back when more than the allowed share of requests to the new slot fail with 5xx', async () => {
      behaviour.green.errorsPerSample = 2; // 2 % of the new slot's requests
      const stack = memoryStack(initial);
      const result = await deployRelease({ image: 'baluhost:v2', release: 'r2' }, deps(stack.driver));
      expect(result).toMatchObject({
        outcome: 'rolled-back',
        slot: 'blue',
        reason: '2.0% of requests to green failed with 5xx during the watch window',
      });
      expect(await served('blue')).toBe('blue');
    });

    it('tolerates a 5xx share at the limit', async () => {
      behaviour.green.errorsPerSample = 1; // exactly 1 %: not more than the limit
      const stack = memoryStack(initial);
      await expect(deployRelease({ image: 'baluhost:v2', release: 'r2' }, deps(stack.driver))).resolves.toMatchObject({
        outcome: 'succeeded',
        slot: 'green',
      });
    });
  });

  describe('probe', () => {
    it('names Docker not answering, with its message, instead of listing containers that do not exist', async () => {
      const stack = memoryStack(initial);
      const down =
        'docker does not answer on nas: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?';
      const d = deps(stack.driver);
      const report = await probeHost({ ...d, slots: { ...d.slots, states: () => `echo ${q(down)} >&2; exit 3` } });
      expect(report.containers).toEqual([]);
      expect(report.problems).toContain(`could not read the containers' states: ${down}`);
      expect(report.problems.filter((p) => p.includes('baluhost-'))).toEqual([]);
      expect(report.ok).toBe(false);
    });
  });

  describe('rollback', () => {
    /** r2 on green, then r3 on blue: blue serves r3 and green still runs r2. */
    async function twoReleases() {
      const stack = memoryStack(initial);
      await deployRelease({ image: 'baluhost:v2', release: 'r2' }, deps(stack.driver));
      await deployRelease({ image: 'baluhost:v3', release: 'r3' }, deps(stack.driver));
      expect(await served('blue')).toBe('blue');
      return stack;
    }

    it('flips nginx back at once when the other slot still runs the previous release', async () => {
      const stack = await twoReleases();
      const d = deps(stack.driver);
      const result = await rollbackRelease({}, d);
      expect(result).toMatchObject({ release: 'r2', mode: 'instant', slot: 'green' });
      expect(await served('green')).toBe('green');
      expect(stack.state.config.app.activeSlot).toBe('green');
      expect(stack.state.calls.at(-1)).toBe('record {"activeSlot":"green"}');
      expect((await steps()).slice(-2)).toEqual(['rollback r2 rolled-back succeeded', 'rollback r2 finished succeeded']);
      const finished = (await history()).at(-1) as ReleaseRecord;
      expect(finished).toMatchObject({ image: 'baluhost:v2', slot: 'green', previousSlot: 'blue' });
      expect((finished.config as StackConfig).app).toMatchObject({ activeSlot: 'green', release: 'r2' });
      expect(finished.manifestHash).toMatch(/^[0-9a-f]{64}$/);
      expect(finished.durationMs).toBeLessThan(60_000);
      expect((await history()).at(-2)?.reason).toBe('instant: the other slot still runs this release');
      expect(d.host.commands.some((c) => c.includes('docker'))).toBe(false);
    });

    it('returns to the last good deploy, skipping failed ones and rollbacks', async () => {
      const stack = await twoReleases(); // r2 on green, r3 on blue
      behaviour.green.readyAfter = 503;
      expect((await deployRelease({ image: 'baluhost:v4', release: 'r4' }, deps(stack.driver))).outcome).toBe('failed');
      behaviour.green.readyAfter = 200;
      expect(await rollbackRelease({}, deps(stack.driver))).toMatchObject({ release: 'r2' }); // not the failed r4
      // r2 now serves again; going back once more means the deploy before it: r3, not the rollback to r2.
      expect(await rollbackRelease({}, deps(stack.driver))).toMatchObject({ release: 'r3' });
    });

    it("redeploys rather than flips when the other slot runs the release's image but not as that release's slot", async () => {
      const stack = memoryStack(initial);
      await deployRelease({ image: 'baluhost:v2', release: 'r2' }, deps(stack.driver)); // green
      await deployRelease({ image: 'baluhost:v2', release: 'r3' }, deps(stack.driver)); // blue, same image
      await deployRelease({ image: 'baluhost:v4', release: 'r4' }, deps(stack.driver)); // green; blue still runs v2
      const result = await rollbackRelease({ to: 'r2' }, deps(stack.driver));
      expect(result).toMatchObject({ release: 'r2', mode: 'redeploy', slot: 'green' });
    });

    it('redeploys an older release from its recorded config when no slot runs it', async () => {
      const stack = await twoReleases();
      await deployRelease({ image: 'baluhost:v4', release: 'r4' }, deps(stack.driver)); // green now runs r4
      await deployRelease({ image: 'baluhost:v5', release: 'r5' }, deps(stack.driver)); // blue runs r5: green, r2's slot, is the other one
      const result = await rollbackRelease({ to: 'r2' }, deps(stack.driver));
      expect(result).toMatchObject({ release: 'r2', mode: 'redeploy', slot: 'green' });
      expect(result.restoredBackup).toBeUndefined();
      expect(stack.state.calls.at(-1)).toBe('restore r2');
      expect(stack.state.config.app).toMatchObject({ activeSlot: 'green', release: 'r2', slotImages: { green: 'baluhost:v2' } });
      expect(await served('green')).toBe('green');
      expect((await steps()).slice(-2)).toEqual(['rollback r2 restored-files', 'rollback r2 finished succeeded']);
    });

    it("restores the release's pre-deploy backup first with --with-data --yes", async () => {
      const stack = await twoReleases();
      const result = await rollbackRelease({ withData: true, confirmed: true }, deps(stack.driver));
      expect(result).toMatchObject({ release: 'r2', mode: 'redeploy', restoredBackup: backupFile() });
      expect(await readFile(join(nas.root, 'restores.log'), 'utf8')).toBe(`restored ${backupFile()}\n`);
      expect((await steps()).slice(-3)).toEqual([
        'rollback r2 restored-data',
        'rollback r2 restored-files',
        'rollback r2 finished succeeded',
      ]);
      expect((await history()).at(-3)?.backup).toEqual({ file: backupFile(), verified: true });
      expect((await history()).at(-1)?.durationMs).toBeLessThan(60_000);
    });

    it("holds the deploy lock in the rollback's name while it restores", async () => {
      const stack = await twoReleases();
      const d = deps(stack.driver);
      d.slots.restore = () => `cat ${q(`${nas.layout.hostLock}/holder`)} >&2; exit 1`;
      await expect(rollbackRelease({ withData: true, confirmed: true }, d)).rejects.toThrow(
        `restore: restoring ${backupFile()} failed; the database is as it was: rollback to r2 by operator since 2026-11-29T01:00:00.000Z`,
      );
    });

    it('leaves the database and config alone when restoring the backup fails', async () => {
      const stack = await twoReleases();
      const d = deps(stack.driver);
      d.slots.restore = () => `echo 'archive checksum mismatch' >&2; echo >&2; exit 1`;
      const before = stack.state.calls.length;
      await expect(rollbackRelease({ withData: true, confirmed: true }, d)).rejects.toThrow(
        `restore: restoring ${backupFile()} failed; the database is as it was: archive checksum mismatch`,
      );
      expect(stack.state.calls.length).toBe(before);
      expect(await served('blue')).toBe('blue');
      await expect(rollbackRelease({}, deps(stack.driver))).resolves.toMatchObject({ mode: 'instant' });
    });

    it('refuses --with-data for a release that recorded no backup', async () => {
      const stack = await twoReleases();
      const text = await readFile(nas.layout.releaseHistory, 'utf8');
      await writeFile(
        nas.layout.releaseHistory,
        text
          .split('\n')
          .map((line) => (line.includes('"release":"r2"') ? JSON.stringify({ ...JSON.parse(line), backup: undefined }) : line))
          .join('\n'),
      );
      await expect(rollbackRelease({ withData: true, confirmed: true }, deps(stack.driver))).rejects.toThrow(
        'restore: release r2 has no recorded pre-deploy backup',
      );
    });

    it('refuses when the release history cannot be read', async () => {
      const stack = await twoReleases();
      const host = localHost({
        answer: (c) =>
          c.includes('releases.jsonl') && c.includes('if [ -f') ? { code: 1, stdout: '', stderr: 'Permission denied\n' } : undefined,
      });
      await expect(rollbackRelease({}, deps(stack.driver, { host }))).rejects.toThrow(
        'history: could not read the release history: Permission denied',
      );
    });

    it('fails loudly when the host files do not match the release after a redeploy', async () => {
      const stack = await twoReleases();
      await deployRelease({ image: 'baluhost:v4', release: 'r4' }, deps(stack.driver));
      const upstream = nas.file('nginx-upstream').path;
      // Something on the NAS rewrites the upstream file right after it is installed.
      const host = localHost({
        answer: (c) => (c.includes('sha256sum') ? { code: 0, stdout: `missing ${upstream}\n`, stderr: '' } : undefined),
      });
      const error = await failureOf(rollbackRelease({ to: 'r2' }, deps(stack.driver, { host })));
      expect(error.message.startsWith('rollback: host files do not match release r2: ')).toBe(true);
      expect(error.message.split(': ').at(-1)?.split(', ')).toContain(upstream);
    });

    it('needs --yes before replacing the database', async () => {
      const stack = await twoReleases();
      const d = deps(stack.driver);
      const sent = d.host.commands.length;
      const error = await failureOf(rollbackRelease({ withData: true }, d));
      expect(error.step).toBe('rollback');
      expect(error.message).toBe("rollback: --with-data replaces the database with the release's backup; confirm with --yes");
      expect(d.host.commands.length).toBe(sent);
    });

    it('refuses when there is no earlier release, or the named one never succeeded', async () => {
      const stack = memoryStack(initial);
      await expect(rollbackRelease({}, deps(stack.driver))).rejects.toThrow('rollback: no earlier successful release in the history');
      await deployRelease({ image: 'baluhost:v2', release: 'r2' }, deps(stack.driver));
      await expect(rollbackRelease({}, deps(stack.driver))).rejects.toThrow('no earlier successful release');
      behaviour.blue.readyAfter = 503;
      await deployRelease({ image: 'baluhost:v3', release: 'r3' }, deps(stack.driver)); // fails its gate
      await expect(rollbackRelease({ to: 'r3' }, deps(stack.driver))).rejects.toThrow(
        'release r3 is not a successful release in the history',
      );
      await expect(rollbackRelease({ to: 'r9' }, deps(stack.driver))).rejects.toThrow('release r9 is not a successful release');
      expect(stack.state.config.app.activeSlot).toBe('green');
    });

    it('refuses a release whose history carries no config', async () => {
      const stack = await twoReleases();
      const text = await readFile(nas.layout.releaseHistory, 'utf8');
      const stripped = text
        .split('\n')
        .map((line) => (line.includes('"release":"r2"') ? JSON.stringify({ ...JSON.parse(line), config: undefined }) : line))
        .join('\n');
      await writeFile(nas.layout.releaseHistory, stripped);
      const error = await failureOf(rollbackRelease({ to: 'r2' }, deps(stack.driver)));
      expect(error.step).toBe('rollback');
      expect(error.message).toBe('rollback: release r2 has no recorded config');
    });
  });
});
