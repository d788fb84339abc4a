/**
 * Host-side commands of release operations, as pure builders: the deploy lock, the release
 * history, disk space, hashes of managed files, the certificate nginx serves, backup age.
 */
import { DOCKER_ANSWERS, q, script, type RemoteOptions } from '../remote/index.js';

/** `mkdir` is atomic: whoever creates the folder holds the lock; its `holder` file says who and since when. */
export function acquireLockScript(lockDir: string, holder: string, options: RemoteOptions): string {
  return script(
    [
      `install -d -m 0750 "$(dirname ${q(lockDir)})"`,
      `if mkdir ${q(lockDir)} 2>/dev/null; then printf '%s\\n' ${q(holder)} > ${q(`${lockDir}/holder`)}; echo locked; exit 0; fi`,
      `echo "deploy lock ${lockDir} is held by: $(cat ${q(`${lockDir}/holder`)} 2>/dev/null || echo unknown)" >&2`,
      `exit 75`,
    ],
    options,
  );
}

export function releaseLockScript(lockDir: string, options: RemoteOptions): string {
  return script([`rm -rf ${q(lockDir)}`], options);
}

/** Appends one JSON line (read from stdin) to the release history. */
export function appendHistoryScript(historyFile: string, options: RemoteOptions): string {
  return script(
    [`install -d -m 0750 "$(dirname ${q(historyFile)})"`, `line=$(cat)`, `printf '%s\\n' "$line" >> ${q(historyFile)}`],
    options,
  );
}

export function readHistoryScript(historyFile: string, options: RemoteOptions): string {
  return script([`if [ -f ${q(historyFile)} ]; then cat ${q(historyFile)}; fi`], options);
}

/** Free space (KiB) of the file system holding `path` (or its nearest existing parent). */
export function freeSpaceScript(path: string): string {
  return script([`p=${q(path)}`, `while [ ! -e "$p" ]; do p=$(dirname "$p"); done`, `df -Pk "$p" | awk 'NR==2 {print $4}'`]);
}

/** `sha256 mode owner:group path` for each managed file, or `missing path`. */
export function hashFilesScript(paths: string[], options: RemoteOptions): string {
  return script(
    [
      `for f in ${paths.map(q).join(' ')}; do`,
      `  if [ -f "$f" ]; then printf '%s %s %s\\n' "$(sha256sum "$f" | cut -d' ' -f1)" "$(stat -c '%a %U:%G' "$f")" "$f"; else echo "missing $f"; fi`,
      `done`,
    ],
    options,
  );
}

/** Prints each file's content between markers, so one SSH round trip fetches them all. */
export function fetchFilesScript(paths: string[], options: RemoteOptions): string {
  return script(
    [
      `for f in ${paths.map(q).join(' ')}; do`,
      `  echo "=== baluhost-file $f"`,
      `  if [ -f "$f" ]; then base64 -w0 "$f"; echo; else echo MISSING; fi`,
      `done`,
    ],
    options,
  );
}

/** Expiry (`notAfter=…`) and fingerprint of the certificate nginx serves on the HTTPS port. */
export function servedCertificateScript(domain: string, port: number): string {
  return script([
    `openssl s_client -connect ${q(`127.0.0.1:${port}`)} -servername ${q(domain)} </dev/null 2>/dev/null | openssl x509 -noout -enddate -fingerprint -sha256`,
  ]);
}

/** Age in seconds of the newest backup archive in the folder, or `none`. */
export function newestBackupAgeScript(backupDir: string, options: RemoteOptions): string {
  return script(
    [
      `newest=$(find ${q(backupDir)} -maxdepth 1 -name 'baluhost-*.tar.gz*' ! -name '*.sha256' -printf '%T@\\n' 2>/dev/null | sort -n | tail -1)`,
      `if [ -z "$newest" ]; then echo none; else echo $(( $(date +%s) - \${newest%.*} )); fi`,
    ],
    options,
  );
}

/** `name state health` per container, for the probe. */
export function containerStatesScript(names: string[]): string {
  return script([
    DOCKER_ANSWERS,
    `for c in ${names.map(q).join(' ')}; do`,
    `  printf '%s %s\\n' "$c" "$(docker inspect --format '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$c" 2>/dev/null || echo 'absent none')"`,
    `done`,
  ]);
}

/**
 * `db-migrate status` of a new image against the live database, before anything changes. The
 * running slot's secrets reach the one-off container through a process substitution: never argv.
 */
export function pendingMigrationsScript(check: { image: string; runningContainer: string; network: string }): string {
  return script([
    `docker run --rm --network ${q(check.network)} --env-file <(docker exec ${q(check.runningContainer)} env | grep -E '^(DATABASE_URL|BALUHOST_SECRET_KEY|NODE_ENV)=') ${q(check.image)} node /app/dist/scripts/db-migrate.js status`,
  ]);
}
