export { AppRelease, EDGE_NETWORK, MIGRATION_NOT_NEEDED, inactiveSlot, type AppReleaseArgs } from './app-release.js';
export { DATABASE_CONTAINER, DATABASE_NETWORK, Database, type DatabaseArgs } from './database.js';
export { HostFiles, type HostFilesArgs } from './host-files.js';
export { NasHost, sha256, type Connection, type NasHostArgs } from './nas-host.js';
export { ReverseProxy, type ReverseProxyArgs } from './reverse-proxy.js';
export { Monitoring, type MonitoringArgs } from './monitoring.js';
export { FirstAdmin } from './first-admin.js';
export { WebClient, type WebClientArgs } from './web-client.js';
