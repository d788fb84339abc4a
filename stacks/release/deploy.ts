/**
 * One release, end to end: preflight → verified pre-deploy backup → `up` of the inactive slot
 * (migration first) → health gate → validated nginx switch → watch window → automatic switch back
 * on any failure after the gate. Every step is appended to the release history on the NAS.
 */
import { createHash } from 'node:crypto';
import { DeployLockError, ReleaseError } from '../../app/src/errors/index.js';
import type { Slot, StackConfig } from '../config/index.js';
import { inactiveSlot } from '../components/app-release.js';
import { nginxCommands, switchUpstreamScript } from '../remote/index.js';
import { hostLayout, manifestHash, manifestOf, renderHostFiles } from '../../templates/index.js';
import { servedWebClient } from './web-client-release.js';
import { rootOf, stagingDirOf, type ReleaseDeps } from './release-context.js';
import { acquireLockScript, appendHistoryScript, freeSpaceScript, releaseLockScript } from './release-host-commands.js';
import type { ReleaseRecord, ReleaseStep } from './release-history.js';
import { parseWatchSample, serverErrorRatio, slotGateScript, watchSampleScript } from './slot-traffic.js';

export interface DeployRequest {
  image: string;
  release: string;
}

export interface DeployResult {
  release: string;
  outcome: 'succeeded' | 'failed' | 'rolled-back';
  slot: Slot;
  reason?: string;
  /** From the switch command starting until nginx serves the new slot. */
  switchMs?: number;
  rollbackMs?: number;
}

export const configHash = (config: StackConfig) => createHash('sha256').update(JSON.stringify(config)).digest('hex');

export function withChanges(
  config: StackConfig,
  changes: { slotImages?: Partial<Record<Slot, string>>; activeSlot?: Slot; release?: string },
): StackConfig {
  return {
    ...config,
    app: {
      ...config.app,
      slotImages: { ...config.app.slotImages, ...changes.slotImages },
      activeSlot: changes.activeSlot ?? config.app.activeSlot,
      release: changes.release ?? config.app.release,
    },
  };
}

/** Points nginx at `slot` with a validated reload; returns how long it took. */
export async function switchSlot(deps: ReleaseDeps, config: StackConfig, slot: Slot): Promise<number> {
  const started = Date.now();
  const desired = withChanges(config, { activeSlot: slot });
  const layout = hostLayout(desired, rootOf(deps));
  const upstream = renderHostFiles(desired, rootOf(deps)).find((f) => f.role === 'nginx-upstream');
  if (!upstream) throw new ReleaseError('switch', 'the render has no upstream file');
  const result = await deps.host.run(
    switchUpstreamScript({ content: upstream.content, target: upstream.path }, nginxCommands(layout), {
      ...deps.host.options,
      stagingDir: stagingDirOf(deps),
    }),
  );
  if (result.code !== 0) throw new ReleaseError('switch', `nginx was not switched to ${slot}: ${result.stderr.trim()}`);
  return Date.now() - started;
}

export async function appendRecord(deps: ReleaseDeps, config: StackConfig, record: Omit<ReleaseRecord, 'at' | 'who'>): Promise<void> {
  const line = JSON.stringify({ at: (deps.now ?? (() => new Date()))().toISOString(), who: deps.who, ...record });
  const result = await deps.host.run(appendHistoryScript(hostLayout(config, rootOf(deps)).releaseHistory, deps.host.options), line);
  if (result.code !== 0) throw new ReleaseError('history', `could not append to the release history: ${result.stderr.trim()}`);
}

/** Holds the NAS's deploy lock around `work`; a held lock fails at once, naming its holder. */
export async function withDeployLock<T>(deps: ReleaseDeps, config: StackConfig, what: string, work: () => Promise<T>): Promise<T> {
  const lock = hostLayout(config, rootOf(deps)).hostLock;
  const holder = `${what} by ${deps.who} since ${(deps.now ?? (() => new Date()))().toISOString()}`;
  const acquired = await deps.host.run(acquireLockScript(lock, holder, deps.host.options));
  if (acquired.code === 75) throw new DeployLockError(acquired.stderr.trim());
  if (acquired.code !== 0) throw new ReleaseError('preflight', `could not take the deploy lock: ${acquired.stderr.trim()}`);
  try {
    return await work();
  } finally {
    await deps.host.run(releaseLockScript(lock, deps.host.options));
  }
}

export async function deployRelease(request: DeployRequest, deps: ReleaseDeps): Promise<DeployResult> {
  const log = deps.log ?? (() => undefined);
  const config = await deps.stack.config();
  const active = config.app.activeSlot;
  const target = inactiveSlot(active);
  const released = withChanges(config, { slotImages: { [target]: request.image }, release: request.release });
  const switched = withChanges(released, { activeSlot: target });
  const base = {
    release: request.release,
    operation: 'deploy' as const,
    image: request.image,
    slot: target,
    previousSlot: active,
    gitCommit: deps.gitCommit,
  };
  const note = (step: ReleaseStep, extra: Partial<ReleaseRecord> = {}) => appendRecord(deps, config, { ...base, step, ...extra });

  // Preflight: reachable with the pinned key, room for a backup, nobody else deploying.
  const reach = await deps.host.run('true').catch((err: Error) => {
    throw new ReleaseError('preflight', `the NAS is not reachable over SSH: ${err.message}`);
  });
  if (reach.code !== 0) throw new ReleaseError('preflight', `SSH works but a trivial command failed (exit ${reach.code})`);
  const free = Number((await deps.host.run(freeSpaceScript(hostLayout(config, rootOf(deps)).backupDir))).stdout.trim());
  if (!(free >= deps.minFreeKiB))
    throw new ReleaseError('preflight', `only ${free} KiB free for the backup folder; need ${deps.minFreeKiB}`);

  return withDeployLock(deps, config, `deploy ${request.release}`, async () => {
    const started = Date.now();
    await note('started', { configHash: configHash(switched) });
    log(`release ${request.release}: ${request.image} → ${target} slot (serving: ${active})`);

    const backup = await deps.host.run(deps.slots.backup(config));
    const file = /Backup written: (\S+)/.exec(backup.stdout)?.[1];
    const verified = /^Verified:/m.test(backup.stdout);
    if (backup.code !== 0 || !file) {
      await note('failed', { outcome: 'failed', reason: `pre-deploy backup failed: ${backup.stderr.trim() || backup.stdout.trim()}` });
      throw new ReleaseError(
        'backup',
        backup.code !== 0
          ? `pre-deploy backup failed (exit ${backup.code}); nothing was changed: ${backup.stderr.trim()}`
          : `pre-deploy backup wrote no backup, so the release stops; nothing was changed: ${backup.stdout.trim() || '(it printed nothing)'}`,
      );
    }
    await note('backup', { backup: { file, verified } });
    log(`backup: ${file}${verified ? ' (verified)' : ''}`);

    try {
      await deps.stack.apply({ slotImages: { [target]: request.image }, release: request.release });
    } catch (err) {
      await note('failed', { outcome: 'failed', reason: `up failed: ${(err as Error).message}` });
      throw new ReleaseError('up', `${(err as Error).message}; traffic still goes to ${active}`);
    }
    await note('up');

    const gate = await deps.host.run(
      slotGateScript(released, target, {
        successes: deps.timings.gateSuccesses,
        timeoutSeconds: deps.timings.gateTimeoutSeconds,
        intervalSeconds: deps.timings.gateIntervalSeconds,
      }),
    );
    const gateDetail = (gate.stdout + gate.stderr).trim();
    await note('health-gate', { health: { ok: gate.code === 0, detail: gateDetail } });
    if (gate.code !== 0) {
      await note('finished', { outcome: 'failed', reason: `health gate: ${gateDetail}`, durationMs: Date.now() - started });
      log(`health gate failed; traffic stays on ${active}: ${gateDetail}`);
      return { release: request.release, outcome: 'failed', slot: active, reason: gateDetail };
    }

    const switchMs = await switchSlot(deps, released, target);
    await deps.stack.record({ activeSlot: target });
    await note('switched', { manifestHash: manifestHash(manifestOf(renderHostFiles(switched, rootOf(deps)))) });
    log(`switched to ${target} in ${switchMs} ms; watching for ${deps.timings.watchSeconds} s`);

    const problem = await watch(deps, switched, target);
    if (problem) {
      const rollbackMs = await switchSlot(deps, switched, active);
      await deps.stack.record({ activeSlot: active });
      await note('rolled-back', { outcome: 'rolled-back', reason: problem, slot: active, previousSlot: target });
      await note('finished', { outcome: 'rolled-back', reason: problem, durationMs: Date.now() - started });
      log(`rolled back to ${active} in ${rollbackMs} ms: ${problem}`);
      return { release: request.release, outcome: 'rolled-back', slot: active, reason: problem, switchMs, rollbackMs };
    }
    const webClient = switched.webClient ? (await servedWebClient(deps.host, hostLayout(switched, rootOf(deps)))).build : null;
    await note('finished', {
      outcome: 'succeeded',
      durationMs: Date.now() - started,
      ...(webClient ? { webClientBuild: webClient } : {}),
      config: switched,
      manifestHash: manifestHash(manifestOf(renderHostFiles(switched, rootOf(deps)))),
      configHash: configHash(switched),
      backup: { file, verified },
    });
    log(`release ${request.release} is live on ${target}`);
    return { release: request.release, outcome: 'succeeded', slot: target, switchMs };
  });
}

/** Watches readiness through nginx and the new slot's 5xx share; returns the first problem seen, or null. */
async function watch(deps: ReleaseDeps, config: StackConfig, slot: Slot): Promise<string | null> {
  const deadline = Date.now() + deps.timings.watchSeconds * 1000;
  const sampleScript = watchSampleScript(config, slot, {
    tokenFile: hostLayout(config, rootOf(deps)).metricsTokenFile,
    ...deps.host.options,
  });
  const first = parseWatchSample((await deps.host.run(sampleScript)).stdout);
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, deps.timings.watchIntervalSeconds * 1000));
    const sample = parseWatchSample((await deps.host.run(sampleScript)).stdout);
    if (sample.readyStatus !== 200) return `/api/ready through nginx answered ${sample.readyStatus || 'nothing'} during the watch window`;
    const ratio = serverErrorRatio(first, sample);
    if (ratio > deps.timings.maxServerErrorRatio)
      return `${(ratio * 100).toFixed(1)}% of requests to ${slot} failed with 5xx during the watch window`;
  }
  return null;
}
