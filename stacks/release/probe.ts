/** Read-only drift check of a NAS against its last release: files, certificate, containers, backups. */
import type { StackConfig } from '../config/index.js';
import { SLOTS, hostLayout, manifestOf, renderHostFiles, slotContainerName } from '../../templates/index.js';
import { DATABASE_CONTAINER } from '../components/database.js';
import { rootOf, type ReleaseDeps } from './release-context.js';
import { driftFromManifest, type FileDrift } from './host-files-push.js';
import { containerStatesScript, newestBackupAgeScript, servedCertificateScript } from './release-host-commands.js';
import { currentRelease } from './release-history.js';
import { readHistory } from './rollback.js';
import { servedWebClient } from './web-client-release.js';

export interface ProbeReport {
  ok: boolean;
  release: string | null;
  files: FileDrift[];
  certificate: { notAfter: string | null; daysLeft: number | null; fingerprint: string | null };
  backupAgeHours: number | null;
  containers: { name: string; state: string; health: string }[];
  /** With `webClient` set: the build served, the one the release recorded, and served files that differ from their manifest. */
  webClient: { serving: string | null; expected: string | null; drift: string[] } | null;
  problems: string[];
}

export interface ProbeLimits {
  minCertificateDays: number;
  maxBackupAgeHours: number;
}

export async function probeHost(
  deps: ReleaseDeps,
  limits: ProbeLimits = { minCertificateDays: 14, maxBackupAgeHours: 36 },
  now = new Date(),
): Promise<ProbeReport> {
  const current = await deps.stack.config();
  const history = await readHistory(deps, current);
  const last = currentRelease(history);
  const expected: StackConfig = (last?.config as StackConfig | undefined) ?? current;
  const problems: string[] = [];

  const files = await driftFromManifest(deps.host, manifestOf(renderHostFiles(expected, rootOf(deps))));
  for (const d of files)
    problems.push(
      `${d.path} differs from release ${last?.release ?? '(none)'}: ${d.actual === 'missing' ? 'missing' : 'edited or re-permissioned'}`,
    );

  const cert = await deps.host.run(servedCertificateScript(expected.domains[0] as string, expected.nginx.httpsPort));
  const notAfter = /notAfter=(.+)/.exec(cert.stdout)?.[1]?.trim() ?? null;
  const fingerprint = /Fingerprint=(.+)/i.exec(cert.stdout)?.[1]?.trim() ?? null;
  const daysLeft = notAfter ? Math.floor((Date.parse(notAfter) - now.getTime()) / 86_400_000) : null;
  if (daysLeft === null) problems.push('nginx serves no certificate on the HTTPS port');
  else if (daysLeft < limits.minCertificateDays) problems.push(`the certificate nginx serves expires in ${daysLeft} days (${notAfter})`);

  const age = (await deps.host.run(newestBackupAgeScript(hostLayout(expected, rootOf(deps)).backupDir, deps.host.options))).stdout.trim();
  const backupAgeHours = /^\d+$/.test(age) ? Math.round((Number(age) / 3600) * 10) / 10 : null;
  if (backupAgeHours === null) problems.push('no backup found in the backup folder');
  else if (backupAgeHours > limits.maxBackupAgeHours) problems.push(`the newest backup is ${backupAgeHours} h old`);

  const containers: ProbeReport['containers'] = [];
  if (expected.app.runtime === 'docker') {
    const states = await deps.host.run(
      deps.slots.states?.(expected) ?? containerStatesScript([DATABASE_CONTAINER, ...SLOTS.map(slotContainerName)]),
    );
    if (states.code !== 0) problems.push(`could not read the containers' states: ${states.stderr.trim() || `exit ${states.code}`}`);
    else
      for (const line of states.stdout.trim().split('\n').filter(Boolean)) {
        const [name = '', state = 'absent', health = 'none'] = line.split(' ');
        containers.push({ name, state, health });
        const mustRun = name === DATABASE_CONTAINER || name === slotContainerName(expected.app.activeSlot);
        if (mustRun && (state !== 'running' || health === 'unhealthy'))
          problems.push(`${name} is ${state}${health !== 'none' ? ` (${health})` : ''}`);
      }
  }
  let webClient: ProbeReport['webClient'] = null;
  if (expected.webClient) {
    const served = await servedWebClient(deps.host, hostLayout(expected, rootOf(deps)));
    webClient = { serving: served.build, expected: last?.webClientBuild ?? null, drift: served.drift };
    if (!served.build) problems.push('no web client is served (webClient is set)');
    else if (webClient.expected && served.build !== webClient.expected)
      problems.push(`the web client served is build ${served.build}, not ${webClient.expected} of release ${last?.release}`);
    for (const file of served.drift) problems.push(`web client file ${file} differs from build ${served.build}`);
  }
  return {
    ok: problems.length === 0,
    release: last?.release ?? null,
    webClient,
    files,
    certificate: { notAfter, daysLeft, fingerprint },
    backupAgeHours,
    containers,
    problems,
  };
}
