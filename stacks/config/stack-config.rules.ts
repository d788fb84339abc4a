/** Rules that span several keys, checked after the schema passed (so every value has its type). */
import type { StackConfig } from './stack-config.schema.js';

export interface RuleViolation {
  path: string;
  message: string;
}

/** Set by the stack itself; an `app.env` entry would silently fight the program. */
export const MANAGED_ENV = [
  'NODE_ENV',
  'HOST',
  'PORT',
  'DATABASE_URL',
  'BALUHOST_SECRET_KEY',
  'BALUHOST_DATA_DIR',
  'BALUHOST_STORAGE_ROOT',
  'BALUHOST_BACKUP_DIR',
  'BALUHOST_LOG_FILE',
  'BALUHOST_UPLOAD_MAX_BYTES',
  'BALUHOST_TRUSTED_PROXIES',
  'BALUHOST_DB_POOL_MAX',
  'BALUHOST_RELEASE',
  'BALUHOST_PG_TOOLS_CONTAINER',
];
const SECRET_LOOKING = /(PASSWORD|SECRET|TOKEN|PASSPHRASE|PRIVATE|_KEY$|DSN)/;
/** System folders BaluHost data must never live in (a typo here would be catastrophic on `pulumi up`). */
const SYSTEM_DIRS = ['/bin', '/boot', '/dev', '/etc', '/lib', '/lib64', '/proc', '/run', '/sbin', '/sys', '/usr', '/tmp'];
const KEY_TYPES: Record<string, string> = {
  'ssh-ed25519': 'ssh-ed25519',
  'ecdsa-sha2-nistp256': 'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384': 'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521': 'ecdsa-sha2-nistp521',
  'ssh-rsa': 'ssh-rsa',
};

export function checkStackRules(config: StackConfig): RuleViolation[] {
  const out: RuleViolation[] = [];
  const add = (path: string, message: string) => out.push({ path, message });
  const { app, tls, database, firewall, host, backups, nginx } = config;

  if (config.webClient) {
    const { dist, archive, sha256 } = config.webClient;
    if ((dist === undefined) === (archive === undefined)) add('webClient', 'needs exactly one of dist (a folder) or archive (a URL)');
    if (archive !== undefined && sha256 === undefined)
      add('webClient.sha256', 'is required with webClient.archive (it is checked before anything is pushed)');
    if (dist !== undefined && sha256 !== undefined)
      add('webClient.sha256', 'goes with webClient.archive; a dist folder is hashed file by file');
  }

  if (app.slots.blue === app.slots.green) add('app.slots.green', `must differ from app.slots.blue (both ${app.slots.blue})`);
  for (const slot of ['blue', 'green'] as const) {
    if ([nginx.httpPort, nginx.httpsPort, host.sshPort].includes(app.slots[slot]))
      add(`app.slots.${slot}`, `port ${app.slots[slot]} is taken by nginx or SSH`);
    if (database.publishPort === app.slots[slot]) add('database.publishPort', `port ${database.publishPort} is already app.slots.${slot}`);
  }

  if (nginx.httpPort === nginx.httpsPort) add('nginx.httpsPort', `must differ from nginx.httpPort (both ${nginx.httpPort})`);
  if ([nginx.httpPort, nginx.httpsPort].includes(host.sshPort)) add('host.sshPort', `port ${host.sshPort} is also an nginx port`);
  if (tls.mode === 'letsencrypt') {
    if (!tls.email) add('tls.email', 'is required when tls.mode is "letsencrypt"');
    if (firewall.enabled && !firewall.webAllowedRanges.some((r) => r === '0.0.0.0/0' || r === '::/0')) {
      add(
        'firewall.webAllowedRanges',
        'must include 0.0.0.0/0 or ::/0 when tls.mode is "letsencrypt" (the CA checks http://<domain>/.well-known/acme-challenge/ from the internet)',
      );
    }
  } else {
    if (tls.email !== undefined) add('tls.email', `is only used when tls.mode is "letsencrypt" (it is "${tls.mode}")`);
    if (tls.acmeServer !== undefined) add('tls.acmeServer', `is only used when tls.mode is "letsencrypt" (it is "${tls.mode}")`);
    if (tls.installRenewTimer) add('tls.installRenewTimer', `is only used when tls.mode is "letsencrypt" (it is "${tls.mode}")`);
  }
  if (tls.mode === 'provided') {
    if (!tls.certificatePath) add('tls.certificatePath', 'is required when tls.mode is "provided"');
    if (!tls.keyPath) add('tls.keyPath', 'is required when tls.mode is "provided"');
  } else {
    if (tls.certificatePath !== undefined) add('tls.certificatePath', `is only used when tls.mode is "provided" (it is "${tls.mode}")`);
    if (tls.keyPath !== undefined) add('tls.keyPath', `is only used when tls.mode is "provided" (it is "${tls.mode}")`);
  }
  if (tls.mode === 'selfsigned' && tls.ocspStapling) add('tls.ocspStapling', 'a self-signed certificate has no OCSP responder');

  if (app.runtime === 'baremetal' && app.image !== undefined) add('app.image', 'is only used when app.runtime is "docker"');
  if (app.runtime === 'baremetal' && Object.keys(app.slotImages).length) add('app.slotImages', 'is only used when app.runtime is "docker"');

  for (const name of Object.keys(app.env)) {
    if (MANAGED_ENV.includes(name)) add(`app.env.${name}`, 'is set by the stack from other keys; remove it here');
    else if (SECRET_LOOKING.test(name))
      add(`app.env.${name}`, 'looks like a secret: set it with `pulumi config set --secret`, never in plain config');
  }

  const folders: [string, string][] = [
    ['app.dataPath', app.dataPath],
    ['app.storagePath', app.storagePath],
    ['app.logPath', app.logPath],
    ['database.dataPath', database.dataPath],
    ['backups.destination', backups.destination],
  ];
  for (const [path, value] of folders) {
    const system = SYSTEM_DIRS.find((dir) => value === dir || value.startsWith(`${dir}/`));
    if (system) add(path, `${value} is inside the system folder ${system}`);
  }
  for (const [i, [pa, a]] of folders.entries()) {
    for (const [pb, b] of folders.slice(i + 1)) {
      if (a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`)) add(pb, `${b} overlaps ${pa} (${a}); each needs its own folder`);
    }
  }

  // The schema guarantees "<type> <base64>", so both parts exist.
  const [type, blob] = host.hostKey.split(' ') as [string, string];
  const embedded = embeddedKeyType(blob);
  if (embedded !== KEY_TYPES[type]) add('host.hostKey', `the key data is not a ${type} key${embedded ? ` (it holds ${embedded})` : ''}`);
  return out;
}

/** The key type an SSH public key blob names in its first length-prefixed field, or null when it is not a key blob. */
function embeddedKeyType(base64: string): string | null {
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length < 8) return null;
  const length = bytes.readUInt32BE(0);
  if (length > 64 || 4 + length > bytes.length) return null;
  return bytes.subarray(4, 4 + length).toString('latin1');
}
