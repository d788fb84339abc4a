/** Values for the logrotate stanzas. */
import type { StackConfig } from '../../stacks/config/index.js';
import type { HostLayout } from '../host-layout.js';

export interface LogrotateView {
  days: number;
  nginxLogs: string;
  nginxPidFile: string;
  appLogs: string;
  fileLogging: boolean;
  backupLog: string;
}

export function logrotateView(config: StackConfig, layout: HostLayout): LogrotateView {
  return {
    days: config.logging.retentionDays,
    nginxLogs: layout.nginxAccessLog.replace(/access\.log$/, '*.log'),
    nginxPidFile: layout.nginxPidFile,
    appLogs: `${layout.logDir}/baluhost.log`,
    fileLogging: config.app.fileLogging,
    backupLog: layout.backupLog,
  };
}
