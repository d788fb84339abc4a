/** The app's environment and the host folders it needs, shared by the env file, the units and the containers. */
import type { Slot, StackConfig } from '../../stacks/config/index.js';
import type { HostLayout } from '../host-layout.js';

/** Fixed paths inside the app container; the host folders are mounted there. */
export const CONTAINER_PATHS = {
  data: '/var/lib/baluhost',
  storage: '/srv/storage',
  logs: '/var/log/baluhost',
  backups: '/backups',
} as const;
/** Docker's default address pools: the proxy (nginx on the host) reaches containers from there. */
const DOCKER_NETWORKS = '172.16.0.0/12,192.168.0.0/16';
export const APP_USER = 'baluhost';
/** uid/gid of APP_USER on the host and in the image (Dockerfile). */
export const APP_UID = 10001;

/**
 * Non-secret environment of one app process. Docker slots see container paths; bare-metal sees the
 * host's. Secrets (DATABASE_URL, BALUHOST_SECRET_KEY, SENTRY_DSN) are added by the program as secrets.
 */
export function appEnvironment(config: StackConfig, layout: HostLayout, slot: Slot = config.app.activeSlot): Record<string, string> {
  const docker = config.app.runtime === 'docker';
  const paths = docker
    ? CONTAINER_PATHS
    : { data: layout.dataDir, storage: layout.storageDir, logs: layout.logDir, backups: layout.backupDir };
  return {
    NODE_ENV: 'production',
    HOST: docker ? '0.0.0.0' : '127.0.0.1',
    PORT: String(docker ? 8000 : config.app.slots[slot]),
    BALUHOST_DATA_DIR: paths.data,
    BALUHOST_STORAGE_ROOT: paths.storage,
    BALUHOST_BACKUP_DIR: paths.backups,
    BALUHOST_UPLOAD_MAX_BYTES: String(config.app.maxUploadMb * 1024 * 1024),
    BALUHOST_TRUSTED_PROXIES: docker ? `127.0.0.1,::1,${DOCKER_NETWORKS}` : '127.0.0.1,::1',
    BALUHOST_DB_POOL_MAX: String(config.database.poolSize),
    ...(config.app.fileLogging ? { BALUHOST_LOG_FILE: `${paths.logs}/baluhost.log`, BALUHOST_LOG_FILE_ROTATION: 'external' } : {}),
    ...config.app.env,
  };
}

/** systemd EnvironmentFile syntax: every value double-quoted with `\` and `"` escaped (values never hold newlines: the schema refuses them). */
export function envFileLines(env: Record<string, string>): { line: string }[] {
  return Object.entries(env).map(([name, value]) => ({ line: `${name}="${value.replace(/[\\"]/g, (c) => `\\${c}`)}"` }));
}

export interface TmpfilesView {
  entries: { line: string }[];
}

export interface ManagedFolder {
  path: string;
  mode: string;
  owner: string;
  group: string;
}

/** Every folder BaluHost owns on the NAS, with owner and mode: created at first deploy and kept at boot. */
export function managedFolders(config: StackConfig, layout: HostLayout): ManagedFolder[] {
  const folder = (path: string, mode: string, owner: string, group: string) => ({ path, mode, owner, group });
  return [
    folder(layout.dataDir, '0750', APP_USER, APP_USER),
    folder(layout.storageDir, '0750', APP_USER, APP_USER),
    folder(layout.logDir, '0750', APP_USER, 'adm'),
    folder(layout.backupDir, '0750', APP_USER, APP_USER),
    folder(layout.acmeWebroot, '0755', 'root', 'root'),
    folder(layout.releaseHistory.replace(/\/[^/]+$/, ''), '0750', 'root', 'root'),
    // The postgres image runs as uid/gid 999.
    ...(config.app.runtime === 'docker' ? [folder(layout.databaseDir, '0700', '999', '999')] : []),
  ];
}

/** One `d` line per folder: created with owner and mode at boot and by `systemd-tmpfiles --create`. */
export function tmpfilesView(config: StackConfig, layout: HostLayout): TmpfilesView {
  return { entries: managedFolders(config, layout).map((f) => ({ line: `d ${f.path} ${f.mode} ${f.owner} ${f.group} -` })) };
}

/** Compiled entry points inside the image and under `app.installPath` (`npm run build` writes dist/). */
export const APP_ENTRY = 'dist/app/src/server.js';
export const BACKUP_ENTRY = 'dist/scripts/backup-database.js';
/** WORKDIR of the image (see Dockerfile). */
export const CONTAINER_APP_DIR = '/app';
export const SLOTS = ['blue', 'green'] as const satisfies readonly Slot[];
export const slotContainerName = (slot: Slot) => `baluhost-app-${slot}`;
/** The slot that is not serving: where a release goes. */
export const inactiveSlot = (active: Slot): Slot => (active === 'blue' ? 'green' : 'blue');

export interface BackupRunnerView {
  docker: boolean;
  containers: { name: string }[];
  containerList: string;
  backupArgs: string;
  node: string;
  entry: string;
}

export function backupRunnerView(config: StackConfig, layout: HostLayout): BackupRunnerView {
  const docker = config.app.runtime === 'docker';
  const outDir = docker ? CONTAINER_PATHS.backups : layout.backupDir;
  return {
    docker,
    containers: SLOTS.map((slot) => ({ name: slotContainerName(slot) })),
    containerList: SLOTS.map(slotContainerName).join(', '),
    backupArgs: `--out-dir ${outDir} --keep-last ${config.backups.keepLast} --keep-days ${config.backups.keepDays}`,
    node: layout.nodeBinary,
    entry: `${docker ? CONTAINER_APP_DIR : layout.installDir}/${BACKUP_ENTRY}`,
  };
}
