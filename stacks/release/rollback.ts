/**
 * Going back to a previous release. When the other slot still runs it, an instant nginx flip.
 * Otherwise (or with --to an older release) the release's own config is restored: its rendered host
 * files are put back byte for byte (checked against its manifest), its images redeployed, and with
 * `withData` its pre-deploy database backup restored first.
 */
import { ReleaseError } from '../../app/src/errors/index.js';
import { restoreWebClient } from './web-client-release.js';
import type { Slot, StackConfig } from '../config/index.js';
import { inactiveSlot } from '../components/app-release.js';
import { hostLayout, manifestHash, manifestOf, renderHostFiles } from '../../templates/index.js';
import { appendRecord, switchSlot, withChanges, withDeployLock } from './deploy.js';
import { driftFromManifest, pushHostFiles } from './host-files-push.js';
import { rootOf, stagingDirOf, type ReleaseDeps } from './release-context.js';
import { readHistoryScript } from './release-host-commands.js';
import { currentRelease, findRelease, parseHistory, type ReleaseRecord } from './release-history.js';

export interface RollbackRequest {
  /** Release id to return to; default: the release before the one serving now. */
  to?: string;
  /** Also restore that release's pre-deploy database backup (destructive: needs `confirmed`). */
  withData?: boolean;
  confirmed?: boolean;
}

export interface RollbackResult {
  release: string;
  mode: 'instant' | 'redeploy';
  slot: Slot;
  durationMs: number;
  restoredBackup?: string;
}

export async function readHistory(deps: ReleaseDeps, config: StackConfig): Promise<ReleaseRecord[]> {
  const result = await deps.host.run(readHistoryScript(hostLayout(config, rootOf(deps)).releaseHistory, deps.host.options));
  if (result.code !== 0) throw new ReleaseError('history', `could not read the release history: ${result.stderr.trim()}`);
  return parseHistory(result.stdout);
}

export async function rollbackRelease(request: RollbackRequest, deps: ReleaseDeps): Promise<RollbackResult> {
  if (request.withData && !request.confirmed)
    throw new ReleaseError('rollback', "--with-data replaces the database with the release's backup; confirm with --yes");
  const config = await deps.stack.config();
  const history = await readHistory(deps, config);
  const current = currentRelease(history);
  const target = request.to === undefined ? previousRelease(history, current?.release) : findRelease(history, request.to);
  if (!target)
    throw new ReleaseError(
      'rollback',
      request.to === undefined
        ? 'no earlier successful release in the history'
        : `release ${request.to} is not a successful release in the history`,
    );
  const targetConfig = target.config as StackConfig | undefined;
  if (!targetConfig) throw new ReleaseError('rollback', `release ${target.release} has no recorded config`);

  return withDeployLock(deps, config, `rollback to ${target.release}`, async () => {
    const started = Date.now();
    const other = inactiveSlot(config.app.activeSlot);
    const base = { release: target.release, operation: 'rollback' as const, image: target.image, previousSlot: config.app.activeSlot };

    // The client the release served comes back with it (when the release recorded one).
    const client = target.webClientBuild ? { webClientBuild: target.webClientBuild } : {};
    const restoreClient = async () => {
      if (target.webClientBuild)
        await restoreWebClient(deps.host, hostLayout(targetConfig, rootOf(deps)), target.webClientBuild, target.release);
    };

    if (!request.withData && config.app.slotImages[other] === target.image && target.slot === other) {
      await restoreClient();
      await switchSlot(deps, config, other);
      await deps.stack.record({ activeSlot: other });
      const durationMs = Date.now() - started;
      const now = withChanges(config, { activeSlot: other, release: target.release });
      await appendRecord(deps, config, {
        ...base,
        step: 'rolled-back',
        slot: other,
        outcome: 'succeeded',
        reason: 'instant: the other slot still runs this release',
        durationMs,
      });
      await appendRecord(deps, config, {
        ...base,
        step: 'finished',
        slot: other,
        outcome: 'succeeded',
        durationMs,
        ...client,
        config: now,
        manifestHash: manifestHash(manifestOf(renderHostFiles(now, rootOf(deps)))),
      });
      return { release: target.release, mode: 'instant', slot: other, durationMs };
    }

    let restoredBackup: string | undefined;
    if (request.withData) {
      const file = target.backup?.file;
      if (!file) throw new ReleaseError('restore', `release ${target.release} has no recorded pre-deploy backup`);
      const restore = await deps.host.run(deps.slots.restore(config, file));
      if (restore.code !== 0)
        throw new ReleaseError('restore', `restoring ${file} failed; the database is as it was: ${restore.stderr.trim()}`);
      restoredBackup = file;
      await appendRecord(deps, config, { ...base, step: 'restored-data', backup: { file, verified: true } });
    }

    const files = renderHostFiles(targetConfig, rootOf(deps));
    await pushHostFiles(deps.host, hostLayout(targetConfig, rootOf(deps)), files, stagingDirOf(deps));
    await deps.stack.restore(targetConfig);
    const drift = await driftFromManifest(deps.host, manifestOf(files));
    if (drift.length)
      throw new ReleaseError('rollback', `host files do not match release ${target.release}: ${drift.map((d) => d.path).join(', ')}`);
    await restoreClient();
    const durationMs = Date.now() - started;
    await appendRecord(deps, config, {
      ...base,
      step: 'restored-files',
      slot: targetConfig.app.activeSlot,
      manifestHash: target.manifestHash,
    });
    await appendRecord(deps, config, {
      ...base,
      step: 'finished',
      operation: 'rollback',
      slot: targetConfig.app.activeSlot,
      outcome: 'succeeded',
      durationMs,
      ...client,
      config: targetConfig,
      manifestHash: target.manifestHash,
    });
    return {
      release: target.release,
      mode: 'redeploy',
      slot: targetConfig.app.activeSlot,
      durationMs,
      ...(restoredBackup ? { restoredBackup } : {}),
    };
  });
}

function previousRelease(history: ReleaseRecord[], current: string | undefined): ReleaseRecord | undefined {
  const finished = history.filter(
    (r) => r.step === 'finished' && r.outcome === 'succeeded' && r.operation === 'deploy' && r.release !== current,
  );
  return finished.at(-1);
}
