/**
 * nginx on the NAS: the HTTP site and the active-slot upstream first, then the certificate
 * (Let's Encrypt needs the HTTP site for its challenge), then the HTTPS site. Every install is
 * `nginx -t` first; a rejected config is put back and nothing reloads.
 */
import * as command from '@pulumi/command';
import * as pulumi from '@pulumi/pulumi';
import type { StackConfig } from '../config/index.js';
import {
  certbotIssueScript,
  installNginxScript,
  nginxCommands,
  providedCertificateScript,
  selfSignedCertificateScript,
  type RemoteOptions,
} from '../remote/index.js';
import type { HostFile, HostLayout } from '../../templates/index.js';
import type { Connection } from './nas-host.js';
import { stageFiles } from './staged-files.js';

export interface ReverseProxyArgs {
  config: StackConfig;
  layout: HostLayout;
  files: HostFile[];
  connection: Connection;
  remote: RemoteOptions;
  /** The slots (and anything else) that must be up before traffic is pointed at them. */
  dependsOn: pulumi.Input<pulumi.Resource>[];
}

export class ReverseProxy extends pulumi.ComponentResource {
  readonly http: command.remote.Command;
  readonly certificate: command.remote.Command;
  readonly https: command.remote.Command;

  constructor(name: string, args: ReverseProxyArgs, opts?: pulumi.ComponentResourceOptions) {
    super('baluhost:nas:ReverseProxy', name, {}, opts);
    const { config, layout, connection, remote } = args;
    const nginx = nginxCommands(layout);
    const httpFiles = args.files.filter((f) => ['nginx-site', 'nginx-upstream', 'nginx-support'].includes(f.role));
    const tlsFiles = args.files.filter((f) => f.role === 'nginx-tls-site');

    const httpStaged = stageFiles(`${name}-http`, httpFiles, connection, { parent: this, dependsOn: args.dependsOn });
    this.http = new command.remote.Command(
      `${name}-install-http`,
      { connection, create: installNginxScript(httpStaged.files, nginx, remote), triggers: httpStaged.triggers },
      { parent: this, dependsOn: [...(args.dependsOn as pulumi.Resource[]), ...httpStaged.copies] },
    );

    const certificateScript = {
      selfsigned: () =>
        selfSignedCertificateScript(
          { certificate: layout.tlsCertificate, key: layout.tlsKey, domains: [...config.domains], days: 825 },
          remote,
        ),
      letsencrypt: () => certbotIssueScript({ configFile: layout.certbotConfig, domains: [...config.domains] }, remote),
      provided: () => providedCertificateScript({ certificate: layout.tlsCertificate, key: layout.tlsKey }, remote),
    }[config.tls.mode]();
    this.certificate = new command.remote.Command(
      `${name}-certificate`,
      { connection, create: certificateScript, triggers: [config.tls.mode, ...config.domains] },
      { parent: this, dependsOn: [this.http] },
    );

    const tlsStaged = stageFiles(`${name}-https`, tlsFiles, connection, { parent: this, dependsOn: [this.certificate] });
    this.https = new command.remote.Command(
      `${name}-install-https`,
      { connection, create: installNginxScript(tlsStaged.files, nginx, remote), triggers: tlsStaged.triggers },
      { parent: this, dependsOn: [this.certificate, ...tlsStaged.copies] },
    );
    this.registerOutputs({ activeSlot: config.app.activeSlot });
  }
}
