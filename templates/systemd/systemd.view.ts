/** Values for the systemd units; hardening lives in the templates, paths and schedules come from here. */
import type { StackConfig } from '../../stacks/config/index.js';
import { APP_ENTRY, APP_USER } from '../app/app.view.js';
import type { HostLayout } from '../host-layout.js';

export interface SystemdView {
  user: string;
  node: string;
  installDir: string;
  entry: string;
  envFile: string;
  secretsFile: string;
  readWritePaths: string;
  backupRunner: string;
  backupLog: string;
  backupSchedule: string;
  backupDocker: boolean;
  backupReadWritePaths: string;
  certbotSchedule: string;
  letsencryptDir: string;
  acmeWebroot: string;
  nft: string;
  firewallRules: string;
}

export function systemdView(config: StackConfig, layout: HostLayout): SystemdView {
  return {
    user: APP_USER,
    node: layout.nodeBinary,
    installDir: layout.installDir,
    entry: `${layout.installDir}/${APP_ENTRY}`,
    envFile: layout.appEnvFile,
    secretsFile: layout.appSecretsFile,
    readWritePaths: [layout.dataDir, layout.storageDir, layout.logDir, layout.backupDir].join(' '),
    backupRunner: layout.backupRunner,
    backupLog: layout.backupLog,
    backupSchedule: config.backups.schedule,
    backupDocker: config.app.runtime === 'docker',
    backupReadWritePaths: [layout.backupDir, layout.logDir, layout.dataDir].join(' '),
    certbotSchedule: '*-*-* 00/12:00:00',
    letsencryptDir: layout.letsencryptDir,
    acmeWebroot: layout.acmeWebroot,
    nft: '/usr/sbin/nft',
    firewallRules: layout.firewallRules,
  };
}
