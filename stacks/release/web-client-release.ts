/**
 * The web client in release operations: which build the NAS serves (recorded with every release),
 * putting a release's build back on rollback, its drift for `probe`, and its change for `plan`.
 */
import { ReleaseError } from '../../app/src/errors/index.js';
import { servedWebClientManifestScript, switchWebClientScript, webClientStateScript, type WebClientPaths } from '../remote/index.js';
import type { HostLayout } from '../../templates/index.js';
import type { ReleaseHost } from './release-context.js';
import type { WebClientBundle } from './web-client-bundle.js';

const pathsOf = (layout: HostLayout): WebClientPaths => ({ dir: layout.webClientDir, current: layout.webClientCurrent });

/** Runs a web client state script; its first line is `serving <id>` or `serving none`. */
async function readServed(host: ReleaseHost, script: string): Promise<{ build: string | null; rest: string[] }> {
  const result = await host.run(script);
  if (result.code !== 0) throw new Error(`reading the served web client failed: ${result.stderr.trim() || `exit ${result.code}`}`);
  const [first = '', ...rest] = result.stdout.trim().split('\n');
  const serving = /^serving (\S+)$/.exec(first)?.[1] ?? 'none';
  return { build: serving === 'none' ? null : serving, rest };
}

export interface ServedWebClient {
  /** The served build's id; null when no client is served. */
  build: string | null;
  /** Served files that differ from the build's manifest (edited or removed on the NAS). */
  drift: string[];
}

export async function servedWebClient(host: ReleaseHost, layout: HostLayout): Promise<ServedWebClient> {
  const { build, rest } = await readServed(host, webClientStateScript(pathsOf(layout), host.options));
  return { build, drift: rest.filter((l) => l.startsWith('drift ')).map((l) => l.slice('drift '.length).replace(/^\.\//, '')) };
}

/** Serves `build` again (the one a release recorded); refuses clearly when it was pruned from the NAS. */
export async function restoreWebClient(host: ReleaseHost, layout: HostLayout, build: string, release: string): Promise<void> {
  const result = await host.run(switchWebClientScript(pathsOf(layout), build, host.options));
  if (result.code !== 0)
    throw new ReleaseError(
      'rollback',
      `the web client of release ${release} (build ${build}) cannot be served again: ${result.stderr.trim()}; run pulumi up with that release's client to install it`,
    );
}

export interface WebClientChange {
  from: string | null;
  to: string;
  added: string[];
  removed: string[];
  changed: string[];
}

/** What `pulumi up` would change in the served client: the build ids and the files, by path and hash. */
export async function webClientChange(host: ReleaseHost, layout: HostLayout, desired: WebClientBundle): Promise<WebClientChange> {
  const { build, rest: manifest } = await readServed(host, servedWebClientManifestScript(pathsOf(layout), host.options));
  const live = new Map(
    manifest
      .map((line) => /^([a-f0-9]{64}) {2}\.\/(.+)$/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[2] as string, m[1] as string]),
  );
  const next = new Map(desired.files.map((f) => [f.path, f.sha256]));
  return {
    from: build,
    to: desired.id,
    added: [...next.keys()].filter((p) => !live.has(p)),
    removed: [...live.keys()].filter((p) => !next.has(p)),
    changed: [...next].filter(([p, h]) => live.has(p) && live.get(p) !== h).map(([p]) => p),
  };
}

/** The plan's Markdown section for the web client change. */
export function webClientPlanLines(change: WebClientChange): string[] {
  const lines = ['### Web client', ''];
  if (change.from === change.to) return [...lines, `Unchanged (build \`${change.to}\`).`, ''];
  lines.push(`Build \`${change.from ?? '(none served)'}\` → \`${change.to}\`.`, '');
  for (const [title, paths] of [
    ['Added', change.added],
    ['Removed', change.removed],
    ['Changed', change.changed],
  ] as const)
    if (paths.length) lines.push(`${title} (${paths.length}):`, '', ...paths.map((p) => `- \`${p}\``), '');
  return lines;
}
