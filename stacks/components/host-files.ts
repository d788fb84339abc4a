/**
 * Every rendered host file except nginx's: systemd units, scripts, firewall, logrotate, certbot,
 * env file, tmpfiles. Each group is installed in one transaction with its own check; the install
 * command's triggers are the files' hashes, so an unchanged group runs nothing.
 */
import * as command from '@pulumi/command';
import * as pulumi from '@pulumi/pulumi';
import type { StackConfig } from '../config/index.js';
import { installGroupScript, installUnitsScript, q, writeSecretFileScript, type RemoteOptions } from '../remote/index.js';
import { APP_USER, type HostFile, type HostLayout } from '../../templates/index.js';
import type { Connection } from './nas-host.js';
import { stageFiles } from './staged-files.js';

export interface HostFilesArgs {
  config: StackConfig;
  layout: HostLayout;
  files: HostFile[];
  connection: Connection;
  remote: RemoteOptions;
  /** Bare-metal only: the app's secrets file content (`NAME=value` lines), a secret. */
  secretEnv?: pulumi.Output<string>;
  dependsOn: pulumi.Input<pulumi.Resource>[];
}

export class HostFiles extends pulumi.ComponentResource {
  readonly installs: command.remote.Command[] = [];

  constructor(name: string, args: HostFilesArgs, opts?: pulumi.ComponentResourceOptions) {
    super('baluhost:nas:HostFiles', name, {}, opts);
    const { files, layout, connection, remote } = args;
    const of = (...roles: HostFile['role'][]) => files.filter((f) => roles.includes(f.role));
    let previous: pulumi.Resource[] = [...(args.dependsOn as pulumi.Resource[])];

    const install = (group: string, groupFiles: HostFile[], build: (staged: ReturnType<typeof stageFiles>['files']) => string) => {
      if (groupFiles.length === 0) return;
      const staged = stageFiles(`${name}-${group}`, groupFiles, connection, { parent: this, dependsOn: previous });
      const cmd = new command.remote.Command(
        `${name}-install-${group}`,
        { connection, create: build(staged.files), triggers: staged.triggers },
        { parent: this, dependsOn: [...previous, ...staged.copies] },
      );
      this.installs.push(cmd);
      previous = [cmd];
    };

    install('tmpfiles', of('tmpfiles'), (staged) =>
      installGroupScript('tmpfiles', staged, { apply: `systemd-tmpfiles --create ${q(layout.tmpfilesConfig)}` }, remote),
    );
    install('app-env', of('app-env'), (staged) => installGroupScript('app env', staged, {}, remote));
    if (args.secretEnv) {
      const secrets = new command.remote.Command(
        `${name}-secrets-env`,
        {
          connection,
          create: writeSecretFileScript(layout.appSecretsFile, APP_USER, remote),
          stdin: args.secretEnv,
          triggers: [args.secretEnv],
        },
        { parent: this, dependsOn: previous },
      );
      previous = [secrets];
    }
    install('firewall', of('firewall'), (staged) =>
      installGroupScript(
        'firewall',
        staged,
        { validate: `nft -c -f ${q(layout.firewallRules)}`, apply: `nft -f ${q(layout.firewallRules)}` },
        remote,
      ),
    );
    install('logrotate', of('logrotate'), (staged) =>
      installGroupScript(
        'logrotate',
        staged,
        { validate: `logrotate -d -s /var/lib/baluhost/logrotate.check ${q(layout.logrotateConfig)}` },
        remote,
      ),
    );
    install('certbot', of('certbot'), (staged) =>
      installGroupScript(
        'certbot',
        staged,
        {
          validate:
            staged
              .filter((f) => f.mode === '0755')
              .map((f) => `sh -n ${q(f.target)}`)
              .join(' && ') || undefined,
        },
        remote,
      ),
    );
    install('monitoring', of('monitoring'), (staged) =>
      installGroupScript(
        'monitoring',
        staged,
        // promtool ships with Prometheus; a NAS without it still gets the files for later.
        { validate: `! command -v promtool >/dev/null || promtool check config --syntax-only ${q(layout.prometheusConfig)}` },
        remote,
      ),
    );
    const units = of('systemd-unit', 'script');
    const enable = units
      .map((f) => f.path.split('/').pop() as string)
      .filter((u) => u.endsWith('.timer') || u === 'baluhost-firewall.service' || u === 'baluhost.service');
    install('units', units, (staged) => installUnitsScript(staged, enable, remote));
    this.registerOutputs({ installed: this.installs.length });
  }
}
