/**
 * The app as two slots, blue and green, each a container on its own loopback port. A release
 * changes only the inactive slot: a pre-deploy backup (hard gate), then the migration in a one-off
 * container, then the inactive slot's container — in that order. The active slot is left alone.
 */
import * as command from '@pulumi/command';
import * as docker from '@pulumi/docker';
import * as pulumi from '@pulumi/pulumi';
import type { Slot, StackConfig } from '../config/index.js';
import { migrationScript } from '../remote/index.js';
import { dockerSlotCommands } from '../release/docker-slot-commands.js';
import { APP_UID, CONTAINER_PATHS, appEnvironment, inactiveSlot, slotContainerName, type HostLayout } from '../../templates/index.js';

export { inactiveSlot };
import { LOG_OPTIONS } from './container-defaults.js';
import { sha256, type Connection } from './nas-host.js';

export interface AppReleaseArgs {
  config: StackConfig;
  layout: HostLayout;
  provider: docker.Provider;
  connection: Connection;
  network: pulumi.Input<string>;
  databaseUrl: pulumi.Output<string>;
  secretKey: pulumi.Output<string>;
  sentryDsn?: pulumi.Output<string>;
  /** The first admin's password (a stack secret, generated when unset); used only when the database has no admin yet. */
  adminPassword: pulumi.Output<string>;
  /** The token Prometheus sends to /metrics (Monitoring). */
  metricsToken: pulumi.Output<string>;
  /** Build context (this repository) when a slot has no image reference. */
  buildContext: string;
  dependsOn: pulumi.Input<pulumi.Resource>[];
}

export const EDGE_NETWORK = 'baluhost-edge';
export const MIGRATION_NOT_NEEDED = 'echo "migration: the slot images did not change; nothing to migrate"';

export class AppRelease extends pulumi.ComponentResource {
  readonly slots: Record<Slot, docker.Container>;
  /** Image reference each slot runs (what promote copies and rollback restores). */
  readonly images: Record<Slot, pulumi.Output<string>>;
  readonly backup: command.remote.Command;
  readonly migration: command.remote.Command;
  /** The bridge network the slots publish their loopback ports on (the database network is internal). */
  readonly edge: docker.Network;

  constructor(name: string, args: AppReleaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super('baluhost:nas:AppRelease', name, {}, opts);
    const { config, provider } = args;
    const child = { parent: this, provider };
    const active = config.app.activeSlot;
    const target = inactiveSlot(active);
    this.edge = new docker.Network(`${name}-edge`, { name: EDGE_NETWORK, driver: 'bridge' }, { ...child, dependsOn: args.dependsOn });

    // One image resource per distinct reference; slots without one share the build.
    const pulled = new Map<string, docker.RemoteImage>();
    let built: docker.Image | undefined;
    const imageFor = (slot: Slot): pulumi.Output<string> => {
      const ref = config.app.slotImages[slot] ?? config.app.image;
      if (ref === undefined) {
        built ??= new docker.Image(
          `${name}-build`,
          {
            imageName: `baluhost-app:${config.app.release}`,
            build: { context: args.buildContext, dockerfile: `${args.buildContext}/Dockerfile` },
            skipPush: true,
          },
          { ...child, dependsOn: args.dependsOn },
        );
        return built.imageName;
      }
      let image = pulled.get(ref);
      if (!image) {
        image = new docker.RemoteImage(
          `${name}-image-${sha256(ref).slice(0, 12)}`,
          { name: ref, keepLocally: true },
          { ...child, dependsOn: args.dependsOn },
        );
        pulled.set(ref, image);
      }
      return image.repoDigest.apply((digest) => digest || ref);
    };
    this.images = { blue: imageFor('blue'), green: imageFor('green') };
    const releaseImage = this.images[target];
    // Backup and migration re-run when the pair of slot images changes (a release), not on a
    // plain slot flip (a switch or an instant rollback), which must touch nothing but nginx.
    const slotImagePair = pulumi.all([this.images.blue, this.images.green]).apply((pair) => [...pair].sort());

    this.backup = new command.remote.Command(
      `${name}-predeploy-backup`,
      {
        connection: args.connection,
        create: dockerSlotCommands.backup(config),
        triggers: slotImagePair,
      },
      { parent: this, dependsOn: args.dependsOn },
    );
    const secretEnv = secretEnvironment(args);
    this.migration = new command.remote.Command(
      `${name}-migrate`,
      {
        connection: args.connection,
        create: pulumi.all([releaseImage, args.network]).apply(([image, network]) => migrationScript({ image, network })),
        // A changed pair of images replaces this command (create runs: the migration). Anything
        // else, such as a slot flip changing which image `create` names, is an update: a no-op.
        update: MIGRATION_NOT_NEEDED,
        stdin: secretEnv.apply((lines) => `${lines.join('\n')}\n`),
        triggers: slotImagePair,
      },
      { parent: this, dependsOn: [this.backup] },
    );

    const container = (slot: Slot) =>
      new docker.Container(
        `${name}-${slot}`,
        {
          name: slotContainerName(slot),
          image: this.images[slot],
          envs: pulumi
            .all([secretEnv, pulumi.output(envList(appEnvironment(config, args.layout, slot)))])
            .apply(([secrets, plain]) => [...plain, ...secrets]),
          ports: [{ internal: 8000, external: config.app.slots[slot], ip: '127.0.0.1' }],
          // networksAdvanced is "the equivalent to the --network option of docker run" (@pulumi/docker
          // Container docs): it replaces the default bridge, and Docker publishes no port for a
          // container on internal networks only. The edge network is what the published port uses.
          networksAdvanced: [{ name: args.network }, { name: this.edge.name }],
          volumes: [
            { hostPath: args.layout.dataDir, containerPath: CONTAINER_PATHS.data },
            { hostPath: args.layout.storageDir, containerPath: CONTAINER_PATHS.storage },
            { hostPath: args.layout.logDir, containerPath: CONTAINER_PATHS.logs },
            { hostPath: args.layout.backupDir, containerPath: CONTAINER_PATHS.backups },
          ],
          user: `${APP_UID}:${APP_UID}`,
          // Unauthenticated liveness; the deploy gate additionally waits for /api/ready.
          healthcheck: {
            tests: ['CMD', 'baluhost', 'health'],
            interval: '15s',
            timeout: '5s',
            retries: 4,
            startPeriod: '30s',
          },
          restart: 'unless-stopped',
          ...LOG_OPTIONS,
          memory: config.app.memoryMb,
          cpus: String(config.app.cpus),
          labels: [
            { label: 'baluhost.slot', value: slot },
            { label: 'baluhost.role', value: 'app' },
          ],
          stopTimeout: 45,
          destroyGraceSeconds: 45,
          wait: true,
          waitTimeout: 180,
        },
        // Only the slot being released waits for backup and migration; the running one keeps running.
        slot === target ? { ...child, dependsOn: [this.migration] } : child,
      );
    // The inactive slot registers first: it is what the release is about.
    const released = container(target);
    const running = container(active);
    this.slots = target === 'blue' ? { blue: released, green: running } : { blue: running, green: released };
    this.registerOutputs({ activeSlot: active, images: this.images });
  }
}

function envList(env: Record<string, string>): string[] {
  return Object.entries(env).map(([k, v]) => `${k}=${v}`);
}

/** Secret settings as `NAME=value` lines: a secret Output all the way to the container and the migration's stdin. */
function secretEnvironment(args: AppReleaseArgs): pulumi.Output<string[]> {
  return pulumi.secret(
    pulumi
      .all([args.databaseUrl, args.secretKey, args.sentryDsn ?? pulumi.output(''), args.metricsToken, args.adminPassword])
      .apply(([url, key, dsn, metricsToken, adminPassword]) => [
        `DATABASE_URL=${url}`,
        `BALUHOST_SECRET_KEY=${key}`,
        `BALUHOST_METRICS_TOKEN=${metricsToken}`,
        `BALUHOST_ADMIN_PASSWORD=${adminPassword}`,
        `BALUHOST_RELEASE=${args.config.app.release}`,
        ...(dsn ? [`SENTRY_DSN=${dsn}`] : []),
      ]),
  );
}
