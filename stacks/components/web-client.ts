/**
 * BaluHost's web client on the NAS: the build prepared on the operator's machine
 * (release/web-client-bundle.ts) is copied as one tarball, unpacked into its own folder, checked
 * against its manifest and switched to in one rename (remote/web-client.ts). Its id is the trigger:
 * an unchanged client sends and runs nothing.
 */
import * as command from '@pulumi/command';
import * as pulumi from '@pulumi/pulumi';
import { installWebClientScript, STAGING_DIR, type RemoteOptions } from '../remote/index.js';
import type { WebClientBundle } from '../release/web-client-bundle.js';
import type { HostLayout } from '../../templates/index.js';
import type { Connection } from './nas-host.js';

export interface WebClientArgs {
  bundle: pulumi.Input<WebClientBundle>;
  layout: HostLayout;
  connection: Connection;
  remote: RemoteOptions;
  dependsOn: pulumi.Input<pulumi.Resource>[];
}

export class WebClient extends pulumi.ComponentResource {
  readonly install: command.remote.Command;
  /** The build being served: the content hash of its manifest. */
  readonly id: pulumi.Output<string>;

  constructor(name: string, args: WebClientArgs, opts?: pulumi.ComponentResourceOptions) {
    super('baluhost:nas:WebClient', name, {}, opts);
    const bundle = pulumi.output(args.bundle);
    this.id = bundle.id;
    const staged = bundle.id.apply((id) => `${STAGING_DIR}/web-client-${id}.tar`);
    const copy = new command.remote.CopyToRemote(
      `${name}-stage`,
      {
        connection: args.connection,
        source: bundle.tarball.apply((path) => new pulumi.asset.FileAsset(path)),
        remotePath: staged,
        triggers: [bundle.id],
      },
      { parent: this, dependsOn: args.dependsOn },
    );
    this.install = new command.remote.Command(
      `${name}-install`,
      {
        connection: args.connection,
        create: pulumi
          .all([bundle.id, staged])
          .apply(([id, tarball]) =>
            installWebClientScript({ dir: args.layout.webClientDir, current: args.layout.webClientCurrent }, { id, tarball }, args.remote),
          ),
        triggers: [bundle.id],
      },
      { parent: this, dependsOn: [copy] },
    );
    this.registerOutputs({ id: this.id });
  }
}
