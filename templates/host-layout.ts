/**
 * Where every BaluHost file and folder lives on the NAS. `root` is `/` for what is pushed; tests
 * render under a temporary root (like DESTDIR) so the real tools can check the same bytes' shape.
 */
import { posix } from 'node:path';
import type { StackConfig } from '../stacks/config/index.js';

export interface HostLayout {
  root: string;
  nginxMainConf: string;
  nginxSite: string;
  nginxTlsSite: string;
  nginxUpstream: string;
  nginxDhParams: string;
  acmeWebroot: string;
  nginxAccessLog: string;
  nginxErrorLog: string;
  nginxPidFile: string;
  tlsCertificate: string;
  tlsKey: string;
  letsencryptDir: string;
  certbotConfig: string;
  certbotDeployHook: string;
  systemdDir: string;
  logrotateConfig: string;
  firewallRules: string;
  appEnvFile: string;
  appSecretsFile: string;
  /** A Prometheus config scraping both slots, the alert rules it loads, and the metrics token it sends. */
  prometheusConfig: string;
  prometheusAlerts: string;
  metricsTokenFile: string;
  tmpfilesConfig: string;
  backupRunner: string;
  backupLog: string;
  dataDir: string;
  storageDir: string;
  logDir: string;
  backupDir: string;
  databaseDir: string;
  installDir: string;
  nodeBinary: string;
  releaseHistory: string;
  hostLock: string;
  /** BaluHost's web client: one folder per build (named by its content hash) and `current`, a symlink to the one served. */
  webClientDir: string;
  webClientCurrent: string;
}

export function hostLayout(config: StackConfig, root = '/'): HostLayout {
  const at = (path: string) => posix.join(root, path);
  const primary = config.domains[0] as string;
  const letsencryptDir = at('/etc/letsencrypt');
  const certificates = {
    selfsigned: { cert: at('/etc/baluhost/tls/cert.pem'), key: at('/etc/baluhost/tls/key.pem') },
    letsencrypt: {
      cert: posix.join(letsencryptDir, 'live', primary, 'fullchain.pem'),
      key: posix.join(letsencryptDir, 'live', primary, 'privkey.pem'),
    },
    provided: { cert: at(config.tls.certificatePath ?? '/'), key: at(config.tls.keyPath ?? '/') },
  }[config.tls.mode];
  return {
    root,
    nginxMainConf: at('/etc/nginx/nginx.conf'),
    nginxSite: at('/etc/nginx/conf.d/baluhost.conf'),
    nginxTlsSite: at('/etc/nginx/conf.d/baluhost.tls.conf'),
    nginxUpstream: at('/etc/nginx/baluhost/upstream.conf'),
    nginxDhParams: at('/etc/nginx/baluhost/ffdhe2048.pem'),
    acmeWebroot: at('/var/www/baluhost-acme'),
    nginxAccessLog: at('/var/log/nginx/baluhost.access.log'),
    nginxErrorLog: at('/var/log/nginx/baluhost.error.log'),
    nginxPidFile: at('/run/nginx.pid'),
    tlsCertificate: certificates.cert,
    tlsKey: certificates.key,
    letsencryptDir,
    certbotConfig: at('/etc/baluhost/certbot.ini'),
    certbotDeployHook: posix.join(letsencryptDir, 'renewal-hooks/deploy/50-baluhost'),
    systemdDir: at('/etc/systemd/system'),
    logrotateConfig: at('/etc/logrotate.d/baluhost'),
    firewallRules: at('/etc/baluhost/nftables.nft'),
    appEnvFile: at('/etc/baluhost/app.env'),
    appSecretsFile: at('/etc/baluhost/secrets.env'),
    prometheusConfig: at('/etc/baluhost/prometheus/prometheus.yml'),
    prometheusAlerts: at('/etc/baluhost/prometheus/alerts.yml'),
    metricsTokenFile: at('/etc/baluhost/prometheus/metrics-token'),
    tmpfilesConfig: at('/etc/tmpfiles.d/baluhost.conf'),
    backupRunner: at('/usr/local/lib/baluhost/baluhost-backup'),
    backupLog: posix.join(at(config.app.logPath), 'backup.log'),
    dataDir: at(config.app.dataPath),
    storageDir: at(config.app.storagePath),
    logDir: at(config.app.logPath),
    backupDir: at(config.backups.destination),
    databaseDir: at(config.database.dataPath),
    installDir: at(config.app.installPath),
    nodeBinary: at(config.app.nodePath),
    releaseHistory: at('/var/lib/baluhost/releases.jsonl'),
    hostLock: at('/var/lib/baluhost/deploy.lock'),
    webClientDir: at('/var/lib/baluhost/web'),
    webClientCurrent: at('/var/lib/baluhost/web/current'),
  };
}
