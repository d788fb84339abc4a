/**
 * Renders every file a stack puts on the NAS, with its mode, owner and sha256: the exact bytes the
 * Pulumi program pushes and `npm run render` writes. Pure: reads templates, returns strings.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import type { StackConfig } from '../stacks/config/index.js';
import { appEnvironment, backupRunnerView, envFileLines, tmpfilesView } from './app/app.view.js';
import { certbotView } from './certbot/certbot.view.js';
import { firewallView } from './firewall/firewall.view.js';
import { hostLayout, type HostLayout } from './host-layout.js';
import { logrotateView } from './logrotate/logrotate.view.js';
import { monitoringView } from './monitoring/monitoring.view.js';
import { nginxView } from './nginx/nginx.view.js';
import { systemdView } from './systemd/systemd.view.js';

/** What each file is for, so a manifest reader (and the Pulumi program) knows how to apply it. */
export type HostFileRole =
  | 'nginx-site'
  | 'nginx-tls-site'
  | 'nginx-upstream'
  | 'nginx-support'
  | 'systemd-unit'
  | 'certbot'
  | 'logrotate'
  | 'firewall'
  | 'app-env'
  | 'tmpfiles'
  | 'monitoring'
  | 'script';

export interface HostFile {
  path: string;
  mode: string;
  owner: string;
  group: string;
  role: HostFileRole;
  content: string;
  sha256: string;
}

export type ManifestEntry = Omit<HostFile, 'content'>;

const TEMPLATE_DIR = dirname(fileURLToPath(import.meta.url));
/** The alert rules Prometheus loads: one file, shipped as it is in the repository. */
const ALERT_RULES = join(TEMPLATE_DIR, '../deployment/monitoring/alerts.yml');
const handlebars = Handlebars.create();
const compiled = new Map<string, HandlebarsTemplateDelegate>();

/** Strict: a view-model field the template names but the builder forgot is an error, not an empty string. */
function render(template: string, view: object): string {
  let fn = compiled.get(template);
  if (!fn) {
    fn = handlebars.compile(readFileSync(join(TEMPLATE_DIR, template), 'utf8'), { noEscape: true, strict: true });
    compiled.set(template, fn);
  }
  return fn(view);
}

export function renderHostFiles(config: StackConfig, root = '/'): HostFile[] {
  const layout = hostLayout(config, root);
  const files: Omit<HostFile, 'sha256'>[] = [];
  const add = (path: string, role: HostFileRole, content: string, mode = '0644', owner = 'root', group = 'root') =>
    files.push({ path, mode, owner, group, role, content });
  const unit = (name: string, template: string) =>
    add(join(layout.systemdDir, name), 'systemd-unit', render(`systemd/${template}`, systemdView(config, layout)));

  const nginx = nginxView(config, layout);
  add(layout.nginxSite, 'nginx-site', render('nginx/site.conf.hbs', nginx));
  add(layout.nginxTlsSite, 'nginx-tls-site', render('nginx/site-tls.conf.hbs', nginx));
  add(layout.nginxUpstream, 'nginx-upstream', render('nginx/upstream.conf.hbs', nginx));
  add(layout.nginxDhParams, 'nginx-support', readFileSync(join(TEMPLATE_DIR, 'nginx/ffdhe2048.pem'), 'utf8'));

  if (config.app.runtime === 'baremetal') unit('baluhost.service', 'baluhost.service.hbs');
  unit('baluhost-backup.service', 'baluhost-backup.service.hbs');
  unit('baluhost-backup.timer', 'baluhost-backup.timer.hbs');
  add(layout.backupRunner, 'script', render('app/backup-runner.sh.hbs', backupRunnerView(config, layout)), '0755');

  if (config.tls.mode === 'letsencrypt') {
    add(layout.certbotConfig, 'certbot', render('certbot/cli.ini.hbs', certbotView(config, layout)));
    add(layout.certbotDeployHook, 'certbot', render('certbot/deploy-hook.sh.hbs', certbotView(config, layout)), '0755');
    if (config.tls.installRenewTimer) {
      unit('baluhost-certbot-renew.service', 'baluhost-certbot-renew.service.hbs');
      unit('baluhost-certbot-renew.timer', 'baluhost-certbot-renew.timer.hbs');
    }
  }

  add(layout.logrotateConfig, 'logrotate', render('logrotate/baluhost.hbs', logrotateView(config, layout)));
  if (config.firewall.enabled) {
    add(layout.firewallRules, 'firewall', render('firewall/baluhost.nft.hbs', firewallView(config)), '0600');
    unit('baluhost-firewall.service', 'baluhost-firewall.service.hbs');
  }
  add(layout.appEnvFile, 'app-env', render('app/app.env.hbs', { lines: envFileLines(appEnvironment(config, layout)) }), '0600');
  add(layout.tmpfilesConfig, 'tmpfiles', render('app/tmpfiles.conf.hbs', tmpfilesView(config, layout)));
  add(layout.prometheusConfig, 'monitoring', render('monitoring/prometheus.yml.hbs', monitoringView(config, layout)));
  add(layout.prometheusAlerts, 'monitoring', readFileSync(ALERT_RULES, 'utf8'));

  return files.map((f) => ({ ...f, sha256: sha256(f.content) }));
}

export function manifestOf(files: HostFile[]): ManifestEntry[] {
  return files.map(({ content: _content, ...entry }) => entry);
}

/** One hash over the whole manifest: what a release records and `probe` compares against. */
export function manifestHash(files: readonly ManifestEntry[]): string {
  return sha256(files.map((f) => `${f.sha256}  ${f.mode} ${f.owner}:${f.group} ${f.path}\n`).join(''));
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export { hostLayout, type HostLayout };
