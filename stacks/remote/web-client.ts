/**
 * What runs on the NAS to serve BaluHost's web client: every build in a folder of its own, named by
 * its content hash and checked file by file against its manifest; `current`, a symlink nginx's root
 * goes through, switched with one rename (a request sees the old client or the new one, never a
 * mix); the oldest builds pruned. Pure builders, like every other NAS command (host-commands.ts).
 */
import { q, script } from './shell.js';
import type { RemoteOptions } from './host-commands.js';

export const WEB_CLIENT_MANIFEST = '.baluhost-manifest';
/** Builds kept besides the one served: what a rollback of recent releases can switch back to. */
export const WEB_CLIENT_KEEP = 5;

export interface WebClientPaths {
  dir: string;
  current: string;
}

const ID = /^[a-f0-9]{32}$/;
function assertId(id: string): void {
  if (!ID.test(id)) throw new Error(`a web client build id is 32 hex digits, not ${JSON.stringify(id)}`);
}

/** Lines that point `current` at build `id` (which must exist) in one rename, and mark it recent. */
function switchLines(paths: WebClientPaths, id: string): string[] {
  const target = `${paths.dir}/${id}`;
  return [
    `if [ ! -f ${q(`${target}/index.html`)} ]; then echo ${q(`web client: build ${id} is not on the NAS (pruned or never installed)`)} >&2; exit 1; fi`,
    `ln -sfn ${q(id)} ${q(`${paths.dir}/.current-new`)}`,
    `mv -Tf ${q(`${paths.dir}/.current-new`)} ${q(paths.current)}`,
    `touch ${q(target)}`,
    `echo ${q(`web client: serving ${id}`)}`,
  ];
}

/**
 * Unpacks the tarball (staged by CopyToRemote) into a new folder unless that build is there
 * already, checks every file against the manifest, then switches `current` to it and prunes all
 * but the newest WEB_CLIENT_KEEP builds. A bad tarball leaves the served client as it was.
 */
export function installWebClientScript(paths: WebClientPaths, build: { id: string; tarball: string }, remote: RemoteOptions): string {
  assertId(build.id);
  const target = `${paths.dir}/${build.id}`;
  return script(
    [
      `mkdir -p ${q(paths.dir)}`,
      `if [ ! -d ${q(target)} ]; then`,
      `  incoming=$(mktemp -d ${q(`${paths.dir}/.incoming-XXXXXX`)})`,
      `  trap 'rm -rf "$incoming"' EXIT`,
      `  tar -xf ${q(build.tarball)} -C "$incoming" --no-same-owner --no-same-permissions`,
      `  if ! check=$(cd "$incoming" && sha256sum --quiet --strict -c ${q(WEB_CLIENT_MANIFEST)} 2>&1); then`,
      `    echo ${q(`web client ${build.id}: files do not match their manifest; the served client is unchanged:`)} >&2`,
      `    echo "$check" >&2`,
      `    exit 1`,
      `  fi`,
      `  chmod -R u=rwX,go=rX "$incoming"`,
      `  mv -T "$incoming" ${q(target)}`,
      `  trap - EXIT`,
      `  echo ${q(`web client: installed ${build.id}`)}`,
      `fi`,
      ...switchLines(paths, build.id),
      ...pruneLines(paths),
    ],
    remote,
  );
}

/** Serves an installed build again (a rollback): one rename, nothing unpacked. */
export function switchWebClientScript(paths: WebClientPaths, id: string, remote: RemoteOptions): string {
  assertId(id);
  return script(switchLines(paths, id), remote);
}

function pruneLines(paths: WebClientPaths): string[] {
  return [
    `serving=$(readlink ${q(paths.current)})`,
    `ls -1t ${q(paths.dir)} | grep -E '^[a-f0-9]{32}$' | tail -n +${WEB_CLIENT_KEEP + 2} | while read -r old; do`,
    `  if [ "$old" != "$serving" ]; then rm -rf -- ${q(paths.dir)}/"$old"; echo "web client: pruned $old"; fi`,
    `done`,
  ];
}

/** Which build is served, and every served file that differs from its manifest (drift), one per line. */
export function webClientStateScript(paths: WebClientPaths, remote: RemoteOptions): string {
  return script(
    [
      `if [ ! -L ${q(paths.current)} ]; then echo 'serving none'; exit 0; fi`,
      `echo "serving $(readlink ${q(paths.current)})"`,
      `cd ${q(`${paths.current}/`)}`,
      `sha256sum --strict -c ${q(WEB_CLIENT_MANIFEST)} 2>/dev/null | grep -v ': OK$' | sed 's/^/drift /' || true`,
    ],
    remote,
  );
}

/** `serving <id>` (or `serving none`), then the served build's manifest: what `plan` compares a new build with. */
export function servedWebClientManifestScript(paths: WebClientPaths, remote: RemoteOptions): string {
  return script(
    [
      `if [ ! -L ${q(paths.current)} ]; then echo 'serving none'; exit 0; fi`,
      `echo "serving $(readlink ${q(paths.current)})"`,
      `cat ${q(`${paths.current}/${WEB_CLIENT_MANIFEST}`)}`,
    ],
    remote,
  );
}
