/**
 * Monitoring on the NAS: the metrics token the app checks and Prometheus sends. Requests reaching a
 * Docker slot through its published port come from the bridge, not loopback, so a scrape needs the
 * token; the scrape config itself is a rendered host file (templates/monitoring).
 */
import * as command from '@pulumi/command';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import { writeSecretFileScript, type RemoteOptions } from '../remote/index.js';
import type { HostLayout } from '../../templates/index.js';
import type { Connection } from './nas-host.js';

export interface MonitoringArgs {
  layout: HostLayout;
  connection: Connection;
  remote: RemoteOptions;
  dependsOn: pulumi.Input<pulumi.Resource>[];
}

/** The group Debian's Prometheus runs as: it may read the token file when it exists on the NAS. */
const PROMETHEUS_GROUP = 'prometheus';

export class Monitoring extends pulumi.ComponentResource {
  /** `BALUHOST_METRICS_TOKEN`, a secret. */
  readonly metricsToken: pulumi.Output<string>;
  readonly tokenFile: command.remote.Command;

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super('baluhost:nas:Monitoring', name, {}, opts);
    const token = new random.RandomPassword(`${name}-metrics-token`, { length: 40, special: false }, { parent: this });
    this.metricsToken = pulumi.secret(token.result);
    this.tokenFile = new command.remote.Command(
      `${name}-metrics-token-file`,
      {
        connection: args.connection,
        create: writeSecretFileScript(args.layout.metricsTokenFile, 'root', args.remote, { readers: PROMETHEUS_GROUP }),
        stdin: this.metricsToken,
        triggers: [this.metricsToken],
      },
      { parent: this, dependsOn: args.dependsOn },
    );
    this.registerOutputs({ tokenFile: args.layout.metricsTokenFile });
  }
}
