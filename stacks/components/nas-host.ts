/** The NAS itself: a pinned-key SSH connection, a wait for SSH, Docker over SSH, the base folders. */
import { createHash } from 'node:crypto';
import * as command from '@pulumi/command';
import * as docker from '@pulumi/docker';
import * as pulumi from '@pulumi/pulumi';
import type { StackConfig } from '../config/index.js';
import { baseDirectoriesScript, dockerSshOptions, waitForHostScript, type RemoteOptions } from '../remote/index.js';
import { managedFolders, type HostLayout } from '../../templates/index.js';

export type Connection = command.types.input.remote.ConnectionArgs;

export interface NasHostArgs {
  config: StackConfig;
  layout: HostLayout;
  privateKey: pulumi.Input<string>;
  knownHostsFile: string;
}

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export class NasHost extends pulumi.ComponentResource {
  readonly connection: Connection;
  readonly remote: RemoteOptions;
  readonly docker: docker.Provider | undefined;
  /** Done when the NAS answered over SSH and its folders exist: everything else depends on it. */
  readonly ready: command.remote.Command;

  constructor(name: string, args: NasHostArgs, opts?: pulumi.ComponentResourceOptions) {
    super('baluhost:nas:NasHost', name, {}, opts);
    const { host } = args.config;
    this.remote = { sudo: host.sshUser !== 'root' };
    this.connection = {
      host: host.address,
      port: host.sshPort,
      user: host.sshUser,
      privateKey: pulumi.secret(args.privateKey),
      hostKey: host.hostKey,
      // The poll: keep dialling while the NAS boots (about 5 minutes), each attempt bounded.
      dialErrorLimit: 30,
      perDialTimeout: 10,
    };
    const needsDocker = args.config.app.runtime === 'docker';
    const waitScript = waitForHostScript({ ...this.remote, needsDocker });
    const wait = new command.remote.Command(
      `${name}-wait-for-ssh`,
      { connection: this.connection, create: waitScript, triggers: [sha256(waitScript)] },
      { parent: this },
    );
    const dirsScript = baseDirectoriesScript(managedFolders(args.config, args.layout), host.sshUser, this.remote);
    this.ready = new command.remote.Command(
      `${name}-base-directories`,
      { connection: this.connection, create: dirsScript, triggers: [sha256(dirsScript)] },
      { parent: this, dependsOn: [wait] },
    );
    this.docker = needsDocker
      ? new docker.Provider(
          `${name}-docker`,
          { host: `ssh://${host.sshUser}@${host.address}:${host.sshPort}`, sshOpts: dockerSshOptions(args.knownHostsFile) },
          { parent: this, dependsOn: [wait] },
        )
      : undefined;
    this.registerOutputs({ address: host.address, ready: this.ready.stdout });
  }
}
