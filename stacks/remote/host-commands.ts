/**
 * Every command the stacks run on the NAS, as pure builders (Kamal's "commands are data"). Each
 * returns a complete `set -euo pipefail` script with every value quoted. None ever contains a
 * secret: secrets reach the NAS on stdin and live only in a mode-0600 temp file.
 */
import { createHash } from 'node:crypto';
import { APP_UID, APP_USER, BACKUP_ENTRY, CONTAINER_APP_DIR, type HostLayout, type ManagedFolder } from '../../templates/index.js';
import { installFilesLines, type StagedFile } from './install-files.js';
import { q, script } from './shell.js';

export interface RemoteOptions {
  /** Prefix privileged work with `sudo -n` (the SSH user is not root). */
  sudo: boolean;
}

/** Where CopyToRemote drops files before they are installed; owned by the SSH user. */
export const STAGING_DIR = '/var/lib/baluhost/incoming';
export const stagedPath = (sha256: string, stagingDir = STAGING_DIR) => `${stagingDir}/${sha256}`;

/** Proves the NAS is reachable and ready: the SSH session works, sudo does not prompt, Docker answers. */
export function waitForHostScript(options: RemoteOptions & { needsDocker: boolean }): string {
  return script([
    `echo "ssh: connected to $(uname -n) as $(id -un)"`,
    ...(options.sudo
      ? [`sudo -n true 2>/dev/null || { echo "sudo asks for a password for $(id -un); BaluHost needs passwordless sudo" >&2; exit 1; }`]
      : []),
    ...(options.needsDocker
      ? [
          `docker version --format '{{.Server.Version}}' >/dev/null || { echo "docker does not answer for $(id -un) (is the user in the docker group?)" >&2; exit 1; }`,
        ]
      : []),
  ]);
}

/** The app's system user and every managed folder with owner and mode; idempotent. */
export function baseDirectoriesScript(folders: ManagedFolder[], sshUser: string, options: RemoteOptions & { stagingDir?: string }): string {
  const dir = (f: ManagedFolder) => `install -d -m ${q(f.mode)} -o ${q(f.owner)} -g ${q(f.group)} ${q(f.path)}`;
  return script(
    [
      // The image's user has the same ids, so host folders and container writes agree. The ids sit
      // above the distribution's system range on purpose (they must not collide with the NAS's own
      // system users): -K widens the range for this one call so useradd/groupadd do not warn.
      `getent group ${q(APP_USER)} >/dev/null || groupadd --system -K SYS_GID_MAX=${APP_UID} --gid ${APP_UID} ${q(APP_USER)}`,
      `getent passwd ${q(APP_USER)} >/dev/null || useradd --system -K SYS_UID_MAX=${APP_UID} --uid ${APP_UID} --gid ${q(APP_USER)} --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin ${q(APP_USER)}`,
      ...folders.map(dir),
      dir({ path: options.stagingDir ?? STAGING_DIR, mode: '0700', owner: sshUser, group: sshUser }),
    ],
    options,
  );
}

export interface NginxCommands {
  test: string;
  reload: string;
}

/** nginx checked and reloaded against the given main config (the distribution's by default). */
export function nginxCommands(layout: HostLayout): NginxCommands {
  return { test: `nginx -t -q -c ${q(layout.nginxMainConf)}`, reload: `nginx -c ${q(layout.nginxMainConf)} -s reload` };
}

/** Installs nginx files; reloads only when `nginx -t` accepts them, otherwise puts the old ones back. */
export function installNginxScript(files: StagedFile[], nginx: NginxCommands, options: RemoteOptions): string {
  return script(installFilesLines({ name: 'nginx', files, validate: nginx.test, apply: nginx.reload }), options);
}

/** Installs units; systemd-analyze must accept them before daemon-reload and enabling. */
export function installUnitsScript(files: StagedFile[], enable: string[], options: RemoteOptions): string {
  const units = files.filter((f) => /\.(service|timer)$/.test(f.target)).map((f) => q(f.target));
  return script(
    installFilesLines({
      name: 'systemd units',
      files,
      validate: units.length ? `systemd-analyze verify --man=no ${units.join(' ')}` : undefined,
      apply: ['systemctl daemon-reload', ...enable.map((u) => `systemctl enable --now ${q(u)}`)].join(' && '),
    }),
    options,
  );
}

/** Any other group of files with its own check and apply step (firewall: `nft -c`, then `nft -f`). */
export function installGroupScript(
  name: string,
  files: StagedFile[],
  steps: { validate?: string; apply?: string },
  options: RemoteOptions,
): string {
  return script(installFilesLines({ name, files, ...steps }), options);
}

/**
 * Points nginx at a slot: writes the rendered upstream file, validates, reloads. Idempotent; on a
 * failed `nginx -t` the previous upstream stays and nginx keeps serving the old slot.
 */
export function switchUpstreamScript(
  upstream: { content: string; target: string },
  nginx: NginxCommands,
  options: RemoteOptions & { stagingDir?: string },
): string {
  const staged = stagedPath(createHash('sha256').update(upstream.content).digest('hex'), options.stagingDir);
  return script(
    [
      `install -d -m 0700 ${q(options.stagingDir ?? STAGING_DIR)}`,
      `printf '%s' ${q(upstream.content)} > ${q(staged)}`,
      ...installFilesLines({
        name: 'upstream',
        files: [{ staged, target: upstream.target, mode: '0644', owner: 'root', group: 'root' }],
        validate: nginx.test,
        apply: nginx.reload,
      }),
    ],
    options,
  );
}

/**
 * Health gate for one slot: `successes` consecutive 2xx answers from `url`, polling every
 * `intervalSeconds`, within `timeoutSeconds`. Exit 0 when healthy, 1 with the last answer otherwise.
 */
export function healthProbeScript(probe: { url: string; successes: number; timeoutSeconds: number; intervalSeconds: number }): string {
  return script([
    `ok=0`,
    `deadline=$(( $(date +%s) + ${Math.ceil(probe.timeoutSeconds)} ))`,
    `last=none`,
    `while [ "$(date +%s)" -lt "$deadline" ]; do`,
    `  if last=$(curl -fsS -o /dev/null -w '%{http_code}' --max-time 5 ${q(probe.url)} 2>&1); then ok=$((ok + 1)); else ok=0; fi`,
    `  if [ "$ok" -ge ${probe.successes} ]; then echo ${q(`healthy: ${probe.successes} consecutive answers from ${probe.url}`)}; exit 0; fi`,
    `  sleep ${probe.intervalSeconds}`,
    `done`,
    `echo "unhealthy: ${probe.url.replace(/["$`\\]/g, '')} had $ok of ${probe.successes} consecutive successes within ${probe.timeoutSeconds}s (last: $last)" >&2`,
    `exit 1`,
  ]);
}

/**
 * Hard gate before a release: a verified backup taken inside a running slot. With no slot
 * container at all (first deploy) there is nothing to back up; any other state is a failure.
 */
/**
 * Stops a script (exit 3) with Docker's own message when the daemon does not answer, so "cannot
 * reach Docker" is never read as "no container" further on.
 */
export const DOCKER_ANSWERS = `docker_error=$(docker version --format '{{.Server.Version}}' 2>&1 >/dev/null) || { echo "docker does not answer on $(uname -n): $docker_error" >&2; exit 3; }`;

export function preDeployBackupScript(backup: { containers: string[]; outDir: string; keepLast: number; keepDays: number }): string {
  const entry = `${CONTAINER_APP_DIR}/${BACKUP_ENTRY}`;
  return script([
    DOCKER_ANSWERS,
    `for container in ${backup.containers.map(q).join(' ')}; do`,
    `  if [ "$(docker inspect --format '{{.State.Running}}' "$container" 2>/dev/null)" = "true" ]; then`,
    `    echo "pre-deploy backup in $container"`,
    `    exec docker exec "$container" node ${q(entry)} --out-dir ${q(backup.outDir)} --keep-last ${backup.keepLast} --keep-days ${backup.keepDays}`,
    `  fi`,
    `done`,
    `if docker ps -a --format '{{.Names}}' | grep -qxE ${q(backup.containers.map((c) => c.replace(/[.]/g, '\\.')).join('|'))}; then`,
    `  echo "pre-deploy backup: no app slot is running, so no backup can be taken; refusing to continue the release" >&2`,
    `  exit 1`,
    `fi`,
    `echo "pre-deploy backup: no app slot exists yet (first deploy); nothing to back up"`,
  ]);
}

/**
 * The database migration, once, in a one-off container of the new image. Secrets arrive on stdin
 * as `NAME=value` lines and are only ever in a mode-0600 file that is removed on exit.
 */
export function migrationScript(migration: { image: string; network: string }): string {
  return script([
    `umask 077`,
    `envfile=$(mktemp)`,
    `trap 'rm -f "$envfile"' EXIT`,
    `cat > "$envfile"`,
    `docker run --rm --network ${q(migration.network)} --env-file "$envfile" --env NODE_ENV=production ${q(migration.image)} node ${q(`${CONTAINER_APP_DIR}/dist/scripts/db-migrate.js`)} up`,
  ]);
}

/** Writes the app's secrets file (bare-metal mode) from stdin with mode 0600; the bytes never appear in the command. */
export function writeSecretFileScript(target: string, owner: string, options: RemoteOptions, access: { readers?: string } = {}): string {
  // `readers`: a group that may also read the file (0640), when that group exists on the host.
  const install = access.readers
    ? [
        `if getent group ${q(access.readers)} >/dev/null; then group=${q(access.readers)}; mode=0640; else group=${q(owner)}; mode=0600; fi`,
        `install -D -m "$mode" -o ${q(owner)} -g "$group" "$tmp" ${q(target)}`,
      ]
    : [`install -D -m 0600 -o ${q(owner)} -g ${q(owner)} "$tmp" ${q(target)}`];
  return script([`umask 077`, `tmp=$(mktemp)`, `trap 'rm -f "$tmp"' EXIT`, `cat > "$tmp"`, ...install], options);
}

/** A self-signed certificate for LAN-only NASes: made once, remade when the names change or it nears expiry. `domains` is never empty (the stack schema). */
export function selfSignedCertificateScript(
  cert: { certificate: string; key: string; domains: string[]; days: number },
  options: RemoteOptions,
): string {
  const san = cert.domains.map((d) => `DNS:${d}`).join(',');
  return script(
    [
      `if [ -f ${q(cert.certificate)} ] && openssl x509 -in ${q(cert.certificate)} -noout -checkend 2592000 >/dev/null && openssl x509 -in ${q(cert.certificate)} -noout -ext subjectAltName | grep -qF ${q(cert.domains.map((d) => `DNS:${d}`).join(', '))}; then`,
      `  echo "self-signed certificate: still valid for ${cert.domains.join(', ')}"`,
      `  exit 0`,
      `fi`,
      `install -d -m 0755 "$(dirname ${q(cert.certificate)})"`,
      `umask 077`,
      `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days ${cert.days} -subj ${q(`/CN=${cert.domains[0] as string}`)} -addext ${q(`subjectAltName=${san}`)} -keyout ${q(cert.key)} -out ${q(cert.certificate)} 2>/dev/null`,
      `chmod 0644 ${q(cert.certificate)}`,
      `echo "self-signed certificate: created for ${cert.domains.join(', ')}"`,
    ],
    options,
  );
}

/** Let's Encrypt through the webroot nginx already serves; a no-op while the certificate is far from expiry. */
export function certbotIssueScript(issue: { configFile: string; domains: string[] }, options: RemoteOptions): string {
  return script([`certbot certonly --config ${q(issue.configFile)} ${issue.domains.map((d) => `-d ${q(d)}`).join(' ')}`], options);
}

/** Checks `provided` certificate files exist and are readable as a matching pair before nginx is pointed at them. */
export function providedCertificateScript(cert: { certificate: string; key: string }, options: RemoteOptions): string {
  return script(
    [
      `openssl x509 -in ${q(cert.certificate)} -noout >/dev/null || { echo ${q(`provided certificate ${cert.certificate} is missing or not a certificate`)} >&2; exit 1; }`,
      `[ "$(openssl x509 -in ${q(cert.certificate)} -noout -pubkey | sha256sum)" = "$(openssl pkey -in ${q(cert.key)} -pubout | sha256sum)" ] || { echo ${q(`provided key ${cert.key} does not match ${cert.certificate}`)} >&2; exit 1; }`,
    ],
    options,
  );
}
