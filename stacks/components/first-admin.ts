/**
 * The first admin's password: the stack secret `baluhost:adminPassword` when set, else generated.
 * Either way it is a secret output of the stack (`firstAdminPassword`), never only a line in the log
 * of whichever slot started first. The app uses it only while the database has no admin.
 */
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';

export class FirstAdmin extends pulumi.ComponentResource {
  readonly password: pulumi.Output<string>;

  constructor(name: string, args: { configured: pulumi.Output<string> | undefined }, opts?: pulumi.ComponentResourceOptions) {
    super('baluhost:nas:FirstAdmin', name, {}, opts);
    // Letters and digits only: it travels in env files and container environments unquoted.
    this.password = pulumi.secret(
      args.configured ?? new random.RandomPassword(`${name}-password`, { length: 24, special: false }, { parent: this }).result,
    );
    this.registerOutputs({});
  }
}
