/**
 * BaluHost on a NAS: `pulumi stack select prod && pulumi up`. The stack config is validated first
 * (every bad key named, no resource registered on error); then the NAS, PostgreSQL, the app's two
 * slots, the host files and nginx, in that order.
 */
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as pulumi from '@pulumi/pulumi';
import {
  AppRelease,
  DATABASE_CONTAINER,
  Database,
  FirstAdmin,
  HostFiles,
  Monitoring,
  NasHost,
  ReverseProxy,
  WebClient,
} from './components/index.js';
import { prepareWebClient } from './release/web-client-bundle.js';
import { readPulumiStackConfig } from './config/pulumi-config.js';
import { knownHostsLine, writeKnownHostsFile } from './remote/index.js';
import { envFileLines } from '../templates/app/app.view.js';
import { hostLayout, manifestHash as hashOfManifest, manifestOf, renderHostFiles } from '../templates/index.js';

const REPOSITORY = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const { config, secrets } = readPulumiStackConfig();
// Prepared before any resource is registered: a client that is no build, or an archive whose hash
// differs, stops the program with the reason and nothing is sent to the NAS.
const webClientBundle = config.webClient
  ? await prepareWebClient(config.webClient, {
      projectDir: REPOSITORY,
      workDir: join(tmpdir(), `baluhost-web-client-${pulumi.getStack()}`),
    })
  : undefined;
const layout = hostLayout(config);
const files = renderHostFiles(config);
const knownHostsFile = writeKnownHostsFile(
  pulumi.getStack(),
  knownHostsLine(config.host.address, config.host.sshPort, config.host.hostKey),
);

const adminPassword = new FirstAdmin('first-admin', { configured: secrets.adminPassword }).password;

const host = new NasHost('nas', { config, layout, privateKey: secrets.sshPrivateKey, knownHostsFile });
const monitoring = new Monitoring('monitoring', { layout, connection: host.connection, remote: host.remote, dependsOn: [host.ready] });

let app: AppRelease | undefined;
let database: Database | undefined;
if (config.app.runtime === 'docker' && host.docker) {
  database = new Database('database', { config, layout, provider: host.docker, dependsOn: [host.ready] });
  app = new AppRelease('app', {
    config,
    layout,
    provider: host.docker,
    connection: host.connection,
    network: database.network.name,
    databaseUrl: database.url,
    secretKey: secrets.secretKey,
    sentryDsn: secrets.sentryDsn,
    metricsToken: monitoring.metricsToken,
    adminPassword,
    buildContext: REPOSITORY,
    dependsOn: [host.ready, database.container],
  });
}

const secretEnv =
  config.app.runtime === 'baremetal'
    ? pulumi.secret(
        pulumi
          .all([secrets.secretKey, secrets.sentryDsn ?? pulumi.output(''), monitoring.metricsToken, adminPassword])
          .apply(([key, dsn, metricsToken, admin]) =>
            envFileLines({
              BALUHOST_SECRET_KEY: key,
              BALUHOST_METRICS_TOKEN: metricsToken,
              BALUHOST_ADMIN_PASSWORD: admin,
              ...(dsn ? { SENTRY_DSN: dsn } : {}),
            })
              .map(({ line }) => `${line}\n`)
              .join(''),
          ),
      )
    : undefined;
const hostFiles = new HostFiles('host-files', {
  config,
  layout,
  files,
  connection: host.connection,
  remote: host.remote,
  secretEnv,
  dependsOn: [host.ready],
});
// The web client's files are in place before nginx is told to serve them.
const webClient = webClientBundle
  ? new WebClient('web-client', {
      bundle: webClientBundle,
      layout,
      connection: host.connection,
      remote: host.remote,
      dependsOn: [host.ready],
    })
  : undefined;
const proxy = new ReverseProxy('proxy', {
  config,
  layout,
  files,
  connection: host.connection,
  remote: host.remote,
  dependsOn: [...hostFiles.installs, ...(app ? [app.slots.blue, app.slots.green] : []), ...(webClient ? [webClient.install] : [])],
});

const httpsPort = config.nginx.httpsPort === 443 ? '' : `:${config.nginx.httpsPort}`;
export const url = `https://${config.domains[0]}${httpsPort}`;
export const activeSlot = config.app.activeSlot;
export const release = config.app.release;
export const slotImages = app ? app.images : undefined;
/** `pulumi stack output --show-secrets firstAdminPassword`: the password of the admin the first start creates. */
export const firstAdminPassword = pulumi.secret(adminPassword);
export const databaseContainer = database ? DATABASE_CONTAINER : undefined;
export const backupPath = config.backups.destination;
export const manifestHash = hashOfManifest(manifestOf(files));
export const proxyReady = proxy.https.id;
export const webClientBuild = webClient?.id;
