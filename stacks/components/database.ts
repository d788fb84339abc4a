/** PostgreSQL in a container on an internal Docker network, with a generated password kept secret. */
import * as docker from '@pulumi/docker';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import type { StackConfig } from '../config/index.js';
import type { HostLayout } from '../../templates/index.js';
import { LOG_OPTIONS } from './container-defaults.js';

export const DATABASE_CONTAINER = 'baluhost-postgres';
export const DATABASE_NETWORK = 'baluhost-internal';
const DB_NAME = 'baluhost';
const DB_USER = 'baluhost';

export interface DatabaseArgs {
  config: StackConfig;
  layout: HostLayout;
  provider: docker.Provider;
  dependsOn: pulumi.Input<pulumi.Resource>[];
}

export class Database extends pulumi.ComponentResource {
  readonly network: docker.Network;
  readonly container: docker.Container;
  readonly containerName = DATABASE_CONTAINER;
  /** postgres://… for the app, as a secret. */
  readonly url: pulumi.Output<string>;

  constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super('baluhost:nas:Database', name, {}, opts);
    const child = { parent: this, provider: args.provider };
    const { database } = args.config;
    // URL-safe characters only: the password is embedded in DATABASE_URL.
    const password = new random.RandomPassword(`${name}-password`, { length: 32, special: false }, { parent: this });
    const secretPassword = pulumi.secret(password.result);
    this.network = new docker.Network(
      `${name}-network`,
      { name: DATABASE_NETWORK, internal: database.publishPort === undefined, driver: 'bridge' },
      { ...child, dependsOn: args.dependsOn },
    );
    const image = new docker.RemoteImage(
      `${name}-image`,
      { name: database.image, keepLocally: true },
      { ...child, dependsOn: args.dependsOn },
    );
    this.container = new docker.Container(
      `${name}-container`,
      {
        name: DATABASE_CONTAINER,
        image: image.imageId,
        envs: pulumi.secret(
          pulumi.interpolate`POSTGRES_PASSWORD=${secretPassword}`.apply((p) => [p, `POSTGRES_USER=${DB_USER}`, `POSTGRES_DB=${DB_NAME}`]),
        ),
        networkMode: this.network.name,
        networksAdvanced: [{ name: this.network.name, aliases: ['postgres'] }],
        ports: database.publishPort === undefined ? [] : [{ internal: 5432, external: database.publishPort, ip: '127.0.0.1' }],
        volumes: [{ hostPath: args.layout.databaseDir, containerPath: '/var/lib/postgresql/data' }],
        healthcheck: {
          tests: ['CMD-SHELL', `pg_isready -U ${DB_USER} -d ${DB_NAME}`],
          interval: '10s',
          timeout: '5s',
          retries: 5,
          startPeriod: '30s',
        },
        restart: 'unless-stopped',
        ...LOG_OPTIONS,
        shmSize: 256,
        stopTimeout: 60,
        wait: true,
        waitTimeout: 120,
      },
      child,
    );
    this.url = pulumi.secret(pulumi.interpolate`postgres://${DB_USER}:${secretPassword}@${DATABASE_CONTAINER}:5432/${DB_NAME}`);
    this.registerOutputs({ containerName: DATABASE_CONTAINER, network: this.network.name });
  }
}
