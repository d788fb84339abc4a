import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../app/src/errors/index.js';
import { loadStackConfig, parseStackConfig, readStackFile } from '../../stacks/config/index.js';
import { runScript } from '../helpers/scripts.js';
import { baseSections, sectionsWith, stackConfig } from '../helpers/stack-configs.js';

const ROOT = resolve(import.meta.dirname, '../..');

function issuesOf(sections: Record<string, unknown>): string[] {
  try {
    parseStackConfig(sections);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues;
  }
  throw new Error('the config was accepted');
}

describe('example stacks', () => {
  it.each(['dev', 'prod'])('Pulumi.%s.yaml validates', async (stack) => {
    const { config } = await loadStackConfig(ROOT, stack);
    expect(config.host.hostKey).toMatch(/^ssh-ed25519 /);
    expect(Object.isFrozen(config.app.slots)).toBe(true);
  });

  it("dev is a LAN NAS with self-signed TLS, prod a public domain with Let's Encrypt", async () => {
    const dev = (await loadStackConfig(ROOT, 'dev')).config;
    const prod = (await loadStackConfig(ROOT, 'prod')).config;
    expect(dev.tls.mode).toBe('selfsigned');
    expect(dev.firewall.webAllowedRanges).not.toContain('0.0.0.0/0');
    expect(prod.tls.mode).toBe('letsencrypt');
    expect(prod.firewall.webAllowedRanges).toContain('0.0.0.0/0');
  });
});

describe('defaults', () => {
  it('fills every optional key with its documented default', () => {
    const config = stackConfig();
    expect(config.app.runtime).toBe('docker');
    expect(config.app.storagePath).toBe('/srv/baluhost/storage');
    expect(config.backups).toEqual({ schedule: '*-*-* 03:15:00', keepLast: 7, keepDays: 30, destination: '/srv/baluhost/backups' });
    expect(config.nginx).toEqual({ httpPort: 80, httpsPort: 443, authPerMinute: 10, authBurst: 5 });
    expect(config.firewall.enabled).toBe(true);
    expect(config.database.image).toBe('postgres:15-bookworm');
  });
});

describe('reading Pulumi.<stack>.yaml', () => {
  it('keeps only baluhost: keys, lists secure ones by name and never returns their ciphertext', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'baluhost-stackfile-'));
    try {
      await writeFile(
        join(dir, 'Pulumi.t.yaml'),
        'config:\n  docker:host: ssh://x\n  baluhost:domains: [a.example.com]\n  baluhost:secretKey:\n    secure: v1:AAAABBBB\n',
      );
      const file = await readStackFile(dir, 't');
      expect(file.sections).toEqual({ domains: ['a.example.com'] });
      expect(file.secretKeys).toEqual(['secretKey']);
      expect(JSON.stringify(file)).not.toContain('AAAABBBB');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('names the file when the YAML is broken or the stack does not exist', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'baluhost-stackfile-'));
    try {
      await writeFile(join(dir, 'Pulumi.bad.yaml'), 'config:\n  baluhost:host: [unclosed\n');
      await expect(loadStackConfig(dir, 'bad')).rejects.toThrow(/Pulumi\.bad\.yaml: not valid YAML/);
      await expect(loadStackConfig(dir, 'missing')).rejects.toThrow(/Pulumi\.missing\.yaml: no such stack file/);
      await expect(loadStackConfig(dir, '../etc/passwd')).rejects.toThrow(/stack name/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

// Each case: what is wrong, the config, and the key the error must name.
const INVALID: [string, Record<string, unknown>, string][] = [
  [
    'a web client archive that is no URL',
    sectionsWith({ webClient: { archive: 'ftp://x/c.tgz', sha256: 'c'.repeat(64) } }),
    'baluhost:webClient.archive:',
  ],
  [
    'a web client hash that is no SHA-256',
    sectionsWith({ webClient: { archive: 'https://x.org/c.tgz', sha256: 'abc' } }),
    'baluhost:webClient.sha256:',
  ],
  ['missing host', sectionsWith({ host: undefined }), 'baluhost:host: is required'],
  ['missing host key', sectionsWith({ host: { hostKey: undefined } }), 'baluhost:host.hostKey: is required'],
  [
    'host key of another type than it claims',
    sectionsWith({ host: { hostKey: 'ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIInZ2C+aiWgwJKHjsz460HngGXs3yKPzHvmeI9LoGy1o' } }),
    'baluhost:host.hostKey: the key data is not a ssh-rsa key',
  ],
  ['host key that is not a key', sectionsWith({ host: { hostKey: 'ssh-ed25519 bm90IGEga2V5' } }), 'baluhost:host.hostKey:'],
  ['host address with a space', sectionsWith({ host: { address: 'nas local' } }), 'baluhost:host.address:'],
  ['SSH port 0', sectionsWith({ host: { sshPort: 0 } }), 'baluhost:host.sshPort: must be >= 1'],
  ['SSH port above 65535', sectionsWith({ host: { sshPort: 70000 } }), 'baluhost:host.sshPort: must be <= 65535'],
  ['SSH port as text', sectionsWith({ host: { sshPort: 'twenty-two' } }), 'baluhost:host.sshPort: must be integer'],
  ['SSH user with shell characters', sectionsWith({ host: { sshUser: 'root;rm' } }), 'baluhost:host.sshUser:'],
  ['unknown key in host', sectionsWith({ host: { passwrd: 'x' } }), 'baluhost:host.passwrd: unknown key'],
  ['misspelt section', sectionsWith({ hots: {} }), 'baluhost:hots: unknown key'],
  ['no domain', sectionsWith({ domains: [] }), 'baluhost:domains: must NOT have fewer than 1 items'],
  ['bad domain', sectionsWith({ domains: ['nas_example..com'] }), 'baluhost:domains.0: "nas_example..com" is not a lower-case DNS name'],
  ['domain with a scheme', sectionsWith({ domains: ['https://nas.example.com'] }), 'baluhost:domains.0:'],
  [
    'unknown TLS mode',
    sectionsWith({ tls: { mode: 'acme' } }),
    'baluhost:tls.mode: must be one of "letsencrypt", "selfsigned", "provided"',
  ],
  [
    'letsencrypt without e-mail',
    sectionsWith({ tls: { mode: 'letsencrypt' }, firewall: { webAllowedRanges: ['0.0.0.0/0'] } }),
    'baluhost:tls.email: is required',
  ],
  [
    'letsencrypt behind a LAN-only firewall',
    sectionsWith({ tls: { mode: 'letsencrypt', email: 'a@example.com' } }),
    'baluhost:firewall.webAllowedRanges: must include 0.0.0.0/0',
  ],
  [
    'letsencrypt with a plain-HTTP ACME server',
    sectionsWith({
      tls: { mode: 'letsencrypt', email: 'a@example.com', acmeServer: 'http://acme.example.com/dir' },
      firewall: { webAllowedRanges: ['0.0.0.0/0'] },
    }),
    'baluhost:tls.acmeServer:',
  ],
  [
    'provided TLS without files',
    sectionsWith({ tls: { mode: 'provided' } }),
    'baluhost:tls.certificatePath: is required when tls.mode is "provided"',
  ],
  ['OCSP stapling on a self-signed certificate', sectionsWith({ tls: { ocspStapling: true } }), 'baluhost:tls.ocspStapling:'],
  [
    'e-mail without letsencrypt',
    sectionsWith({ tls: { email: 'a@example.com' } }),
    'baluhost:tls.email: is only used when tls.mode is "letsencrypt"',
  ],
  [
    'slot ports equal',
    sectionsWith({ app: { slots: { blue: 8001, green: 8001 } } }),
    'baluhost:app.slots.green: must differ from app.slots.blue',
  ],
  ['slot on the HTTPS port', sectionsWith({ app: { slots: { blue: 443 } } }), 'baluhost:app.slots.blue: port 443 is taken'],
  ['unknown active slot', sectionsWith({ app: { activeSlot: 'red' } }), 'baluhost:app.activeSlot: must be one of "blue", "green"'],
  [
    'path traversal in storage path',
    sectionsWith({ app: { storagePath: '/srv/baluhost/../../etc' } }),
    'baluhost:app.storagePath: "/srv/baluhost/../../etc" is not a path without . or .. segments',
  ],
  ['relative storage path', sectionsWith({ app: { storagePath: 'srv/storage' } }), 'baluhost:app.storagePath:'],
  [
    'storage path inside /etc',
    sectionsWith({ app: { storagePath: '/etc/baluhost' } }),
    'baluhost:app.storagePath: /etc/baluhost is inside the system folder /etc',
  ],
  [
    'backups inside storage',
    sectionsWith({ backups: { destination: '/srv/baluhost/storage/backups' } }),
    'baluhost:backups.destination: /srv/baluhost/storage/backups overlaps app.storagePath',
  ],
  ['storage path with a shell character', sectionsWith({ app: { storagePath: '/srv/$(reboot)' } }), 'baluhost:app.storagePath:'],
  ['upload cap of zero', sectionsWith({ app: { maxUploadMb: 0 } }), 'baluhost:app.maxUploadMb: must be >= 1'],
  ['memory limit too small', sectionsWith({ app: { memoryMb: 16 } }), 'baluhost:app.memoryMb: must be >= 128'],
  [
    'image reference with spaces',
    sectionsWith({ app: { image: 'baluhost latest' } }),
    'baluhost:app.image: "baluhost latest" is not an image reference',
  ],
  [
    'image with baremetal runtime',
    sectionsWith({ app: { runtime: 'baremetal', image: 'ghcr.io/x/y:1' } }),
    'baluhost:app.image: is only used when app.runtime is "docker"',
  ],
  [
    'secret in plain env',
    sectionsWith({ app: { env: { SMTP_PASSWORD: 'hunter2' } } }),
    'baluhost:app.env.SMTP_PASSWORD: looks like a secret',
  ],
  [
    'env the stack manages',
    sectionsWith({ app: { env: { DATABASE_URL: 'postgres://x' } } }),
    'baluhost:app.env.DATABASE_URL: is set by the stack',
  ],
  ['env value with a newline', sectionsWith({ app: { env: { LOG_LEVEL: 'info\nNODE_ENV=development' } } }), 'baluhost:app.env.LOG_LEVEL:'],
  [
    'lower-case env name',
    sectionsWith({ app: { env: { log_level: 'info' } } }),
    'baluhost:app.env.log_level: "log_level" is not an upper-case environment variable name',
  ],
  ['pool size zero', sectionsWith({ database: { poolSize: 0 } }), 'baluhost:database.poolSize: must be >= 1'],
  [
    'database port equal to a slot',
    sectionsWith({ database: { publishPort: 8002 } }),
    'baluhost:database.publishPort: port 8002 is already app.slots.green',
  ],
  ['backup schedule with shell characters', sectionsWith({ backups: { schedule: 'daily; reboot' } }), 'baluhost:backups.schedule:'],
  ['retention of zero', sectionsWith({ backups: { keepLast: 0 } }), 'baluhost:backups.keepLast: must be >= 1'],
  [
    'bad CIDR',
    sectionsWith({ firewall: { sshAllowedRanges: ['192.168.1.0/33'] } }),
    'baluhost:firewall.sshAllowedRanges.0: "192.168.1.0/33" is not a network in CIDR notation',
  ],
  [
    'SSH closed to everyone',
    sectionsWith({ firewall: { sshAllowedRanges: [] } }),
    'baluhost:firewall.sshAllowedRanges: must NOT have fewer than 1 items',
  ],
  [
    'nginx ports equal',
    sectionsWith({ nginx: { httpPort: 8443, httpsPort: 8443 } }),
    'baluhost:nginx.httpsPort: must differ from nginx.httpPort',
  ],
  ['SSH on the web port', sectionsWith({ host: { sshPort: 443 } }), 'baluhost:host.sshPort: port 443 is also an nginx port'],
  ['log retention of zero days', sectionsWith({ logging: { retentionDays: 0 } }), 'baluhost:logging.retentionDays: must be >= 1'],
  ['monitoring as a string', sectionsWith({ monitoring: { enabled: 'yes' } }), 'baluhost:monitoring.enabled: must be boolean'],
];

/** Cross-key rules, message for message: what `pulumi up` prints before it touches the NAS. */
const RULES: [string, Record<string, unknown>, string[]][] = [
  [
    'a web client with no source',
    sectionsWith({ webClient: {} }),
    ['baluhost:webClient: needs exactly one of dist (a folder) or archive (a URL)'],
  ],
  [
    'a web client from both a folder and an archive',
    sectionsWith({ webClient: { dist: 'dist', archive: 'https://example.com/c.tgz', sha256: 'a'.repeat(64) } }),
    [
      'baluhost:webClient: needs exactly one of dist (a folder) or archive (a URL)',
      'baluhost:webClient.sha256: goes with webClient.archive; a dist folder is hashed file by file',
    ],
  ],
  [
    'a web client archive without its hash',
    sectionsWith({ webClient: { archive: 'https://example.com/client.tgz' } }),
    ['baluhost:webClient.sha256: is required with webClient.archive (it is checked before anything is pushed)'],
  ],
  [
    'a slot on the SSH port',
    sectionsWith({ app: { slots: { green: 22 } } }),
    ['baluhost:app.slots.green: port 22 is taken by nginx or SSH'],
  ],
  [
    'a slot on the HTTP port',
    sectionsWith({ app: { slots: { blue: 80 } } }),
    ['baluhost:app.slots.blue: port 80 is taken by nginx or SSH'],
  ],
  [
    'the database published on the blue slot',
    sectionsWith({ database: { publishPort: 8001 } }),
    ['baluhost:database.publishPort: port 8001 is already app.slots.blue'],
  ],
  ['SSH on the HTTP port', sectionsWith({ host: { sshPort: 80 } }), ['baluhost:host.sshPort: port 80 is also an nginx port']],
  [
    'equal slot ports',
    sectionsWith({ app: { slots: { blue: 8005, green: 8005 } } }),
    ['baluhost:app.slots.green: must differ from app.slots.blue (both 8005)'],
  ],
  [
    'equal nginx ports',
    sectionsWith({ nginx: { httpPort: 8443, httpsPort: 8443 } }),
    ['baluhost:nginx.httpsPort: must differ from nginx.httpPort (both 8443)'],
  ],
  [
    'letsencrypt without e-mail',
    sectionsWith({ tls: { mode: 'letsencrypt' }, firewall: { webAllowedRanges: ['0.0.0.0/0'] } }),
    ['baluhost:tls.email: is required when tls.mode is "letsencrypt"'],
  ],
  [
    'letsencrypt behind a LAN-only firewall',
    sectionsWith({ tls: { mode: 'letsencrypt', email: 'a@example.com' } }),
    [
      'baluhost:firewall.webAllowedRanges: must include 0.0.0.0/0 or ::/0 when tls.mode is "letsencrypt" (the CA checks http://<domain>/.well-known/acme-challenge/ from the internet)',
    ],
  ],
  [
    'an ACME server without letsencrypt',
    sectionsWith({ tls: { acmeServer: 'https://acme.example.com/dir' } }),
    ['baluhost:tls.acmeServer: is only used when tls.mode is "letsencrypt" (it is "selfsigned")'],
  ],
  [
    'a renew timer without letsencrypt',
    sectionsWith({ tls: { installRenewTimer: true } }),
    ['baluhost:tls.installRenewTimer: is only used when tls.mode is "letsencrypt" (it is "selfsigned")'],
  ],
  [
    'provided TLS with only a certificate',
    sectionsWith({ tls: { mode: 'provided', certificatePath: '/etc/ssl/nas.pem' } }),
    ['baluhost:tls.keyPath: is required when tls.mode is "provided"'],
  ],
  [
    'provided TLS with only a key',
    sectionsWith({ tls: { mode: 'provided', keyPath: '/etc/ssl/nas.key' } }),
    ['baluhost:tls.certificatePath: is required when tls.mode is "provided"'],
  ],
  [
    'certificate files without provided TLS',
    sectionsWith({ tls: { certificatePath: '/etc/ssl/nas.pem', keyPath: '/etc/ssl/nas.key' } }),
    [
      'baluhost:tls.certificatePath: is only used when tls.mode is "provided" (it is "selfsigned")',
      'baluhost:tls.keyPath: is only used when tls.mode is "provided" (it is "selfsigned")',
    ],
  ],
  [
    'OCSP stapling on a self-signed certificate',
    sectionsWith({ tls: { ocspStapling: true } }),
    ['baluhost:tls.ocspStapling: a self-signed certificate has no OCSP responder'],
  ],
  [
    'slot images with the bare-metal runtime',
    sectionsWith({ app: { runtime: 'baremetal', slotImages: { blue: 'ghcr.io/x/y:1' } } }),
    ['baluhost:app.slotImages: is only used when app.runtime is "docker"'],
  ],
  [
    'a secret-looking name in plain env',
    sectionsWith({ app: { env: { MAIL_API_KEY: 'x', SENTRY_DSN: 'y' } } }),
    [
      'baluhost:app.env.MAIL_API_KEY: looks like a secret: set it with `pulumi config set --secret`, never in plain config',
      'baluhost:app.env.SENTRY_DSN: looks like a secret: set it with `pulumi config set --secret`, never in plain config',
    ],
  ],
  [
    'a managed name in plain env',
    sectionsWith({ app: { env: { BALUHOST_SECRET_KEY: 'x' } } }),
    ['baluhost:app.env.BALUHOST_SECRET_KEY: is set by the stack from other keys; remove it here'],
  ],
  [
    'a data folder that is a system folder',
    sectionsWith({ app: { dataPath: '/tmp' } }),
    ['baluhost:app.dataPath: /tmp is inside the system folder /tmp'],
  ],
  [
    'a log folder under /usr',
    sectionsWith({ app: { logPath: '/usr/local/baluhost-logs' } }),
    ['baluhost:app.logPath: /usr/local/baluhost-logs is inside the system folder /usr'],
  ],
  [
    'two keys naming one folder',
    sectionsWith({ database: { dataPath: '/srv/baluhost/data' } }),
    ['baluhost:database.dataPath: /srv/baluhost/data overlaps app.dataPath (/srv/baluhost/data); each needs its own folder'],
  ],
  [
    'a folder that contains an earlier one',
    sectionsWith({ backups: { destination: '/srv' } }),
    [
      'baluhost:backups.destination: /srv overlaps app.dataPath (/srv/baluhost/data); each needs its own folder',
      'baluhost:backups.destination: /srv overlaps app.storagePath (/srv/baluhost/storage); each needs its own folder',
      'baluhost:backups.destination: /srv overlaps database.dataPath (/srv/baluhost/postgres); each needs its own folder',
    ],
  ],
  [
    'a host key whose data holds another type',
    sectionsWith({ host: { hostKey: 'ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIInZ2C+aiWgwJKHjsz460HngGXs3yKPzHvmeI9LoGy1o' } }),
    ['baluhost:host.hostKey: the key data is not a ssh-rsa key (it holds ssh-ed25519)'],
  ],
  [
    'a host key whose data is too short to be a key',
    sectionsWith({ host: { hostKey: 'ssh-ed25519 AAAAC3Nz' } }),
    ['baluhost:host.hostKey: the key data is not a ssh-ed25519 key'],
  ],
  [
    'a host key whose first field runs past its end',
    sectionsWith({ host: { hostKey: 'ssh-ed25519 AAAAIHNzaC1lZDI1NTE5' } }),
    ['baluhost:host.hostKey: the key data is not a ssh-ed25519 key'],
  ],
  [
    'a host key of three bytes',
    sectionsWith({ host: { hostKey: 'ssh-ed25519 AAAA' } }),
    ['baluhost:host.hostKey: the key data is not a ssh-ed25519 key'],
  ],
  [
    'a host key of eight bytes naming a short type',
    sectionsWith({ host: { hostKey: `ssh-ed25519 ${keyBlob('abcd', 0)}` } }),
    ['baluhost:host.hostKey: the key data is not a ssh-ed25519 key (it holds abcd)'],
  ],
  [
    'a host key naming a 64-character type',
    sectionsWith({ host: { hostKey: `ssh-ed25519 ${keyBlob('t'.repeat(64), 0)}` } }),
    [`baluhost:host.hostKey: the key data is not a ssh-ed25519 key (it holds ${'t'.repeat(64)})`],
  ],
  [
    'a host key naming a 65-character type',
    sectionsWith({ host: { hostKey: `ssh-ed25519 ${keyBlob('t'.repeat(65), 0)}` } }),
    ['baluhost:host.hostKey: the key data is not a ssh-ed25519 key'],
  ],
];

/** An SSH public key blob whose first field names `type` (what the rule reads), padded to `size` bytes. */
function keyBlob(type: string, padding = 32): string {
  const name = Buffer.from(type, 'latin1');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(name.length);
  return Buffer.concat([length, name, Buffer.alloc(padding, 7)]).toString('base64');
}

/** Names the stack sets itself: each must be refused in `app.env`. */
const MANAGED_NAMES = [
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

/** Near misses the rules must let through. */
const ACCEPTED: [string, Record<string, unknown>][] = [
  ['a web client from a folder', sectionsWith({ webClient: { dist: '../BaluHost/client/dist' } })],
  [
    'a web client from an archive with its hash',
    sectionsWith({ webClient: { archive: 'https://example.com/c.tgz', sha256: 'b'.repeat(64) } }),
  ],
  [
    'letsencrypt open to the IPv6 internet',
    sectionsWith({ tls: { mode: 'letsencrypt', email: 'a@example.com' }, firewall: { webAllowedRanges: ['::/0'] } }),
  ],
  [
    'letsencrypt with the firewall left to someone else',
    sectionsWith({ tls: { mode: 'letsencrypt', email: 'a@example.com' }, firewall: { enabled: false } }),
  ],
  [
    'letsencrypt with its own ACME server and renew timer',
    sectionsWith({
      tls: { mode: 'letsencrypt', email: 'a@example.com', acmeServer: 'https://acme.example.com/dir', installRenewTimer: true },
      firewall: { webAllowedRanges: ['0.0.0.0/0'] },
    }),
  ],
  [
    'provided TLS with both files',
    sectionsWith({ tls: { mode: 'provided', certificatePath: '/etc/ssl/nas.pem', keyPath: '/etc/ssl/nas.key' } }),
  ],
  [
    'folders whose names only start alike',
    sectionsWith({
      app: { dataPath: '/srv/baluhost/data', storagePath: '/srv/baluhost/data-files' },
      database: { dataPath: '/srv/baluhost/database' },
    }),
  ],
  ['folders beside system folders', sectionsWith({ app: { storagePath: '/srv/etc', logPath: '/usrdata/logs' } })],
  ['ordinary plain env', sectionsWith({ app: { env: { LOG_LEVEL: 'debug', BALUHOST_TELEMETRY_SAMPLES: '30' } } })],
  ['slot images for docker', sectionsWith({ app: { slotImages: { blue: 'ghcr.io/x/y:1', green: 'ghcr.io/x/y:2' } } })],
  [
    'an ECDSA host key',
    sectionsWith({
      host: {
        hostKey:
          'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEmKSENjQEezOmxkZMy7opKgwFB9nkt5YRrYMjNuG5N87uRgg6CLrbo5wAdT/y6v0mKV9U2W2/B4Gw3PQ6GwqVo=',
      },
    }),
  ],
  ['an ECDSA P-384 host key', sectionsWith({ host: { hostKey: `ecdsa-sha2-nistp384 ${keyBlob('ecdsa-sha2-nistp384')}` } })],
  ['an ECDSA P-521 host key', sectionsWith({ host: { hostKey: `ecdsa-sha2-nistp521 ${keyBlob('ecdsa-sha2-nistp521')}` } })],
  ['an RSA host key', sectionsWith({ host: { hostKey: `ssh-rsa ${keyBlob('ssh-rsa', 256)}` } })],
  ['a key blob that ends right after its type', sectionsWith({ host: { hostKey: `ssh-ed25519 ${keyBlob('ssh-ed25519', 0)}` } })],
  [
    'web ranges that include the internet among others',
    sectionsWith({ tls: { mode: 'letsencrypt', email: 'a@example.com' }, firewall: { webAllowedRanges: ['192.168.1.0/24', '0.0.0.0/0'] } }),
  ],
  [
    'OCSP stapling with a provided certificate',
    sectionsWith({ tls: { mode: 'provided', certificatePath: '/etc/ssl/nas.pem', keyPath: '/etc/ssl/nas.key', ocspStapling: true } }),
  ],
  ['an env name with _KEY inside', sectionsWith({ app: { env: { APP_KEYMAP: 'de' } } })],
];

describe('cross-key rules', () => {
  it.each(RULES)('refuses %s, saying exactly why', (_name, sections, expected) => {
    expect(issuesOf(sections)).toEqual(expected.map((issue) => `stack config: ${issue}`));
  });

  it.each(MANAGED_NAMES)('refuses %s in app.env: the stack sets it', (name) => {
    expect(issuesOf(sectionsWith({ app: { env: { [name]: 'x' } } }))).toEqual([
      `stack config: baluhost:app.env.${name}: is set by the stack from other keys; remove it here`,
    ]);
  });

  it.each(ACCEPTED)('accepts %s', (_name, sections) => {
    expect(() => parseStackConfig(sections)).not.toThrow();
  });
});

describe('invalid configs are refused with the key named', () => {
  it(`covers at least 25 cases (${INVALID.length})`, () => {
    expect(INVALID.length).toBeGreaterThanOrEqual(25);
  });

  it.each(INVALID)('%s', (_name, sections, expected) => {
    const issues = issuesOf(sections);
    expect(issues.join('\n')).toContain(expected);
  });

  it('lists every bad key at once, not only the first', () => {
    const issues = issuesOf(
      sectionsWith({ host: { sshPort: 0 }, domains: ['bad domain'], tls: { mode: 'nope' }, app: { maxUploadMb: 0 } }),
    );
    expect(issues).toHaveLength(4);
  });

  it('the base config used by these cases is itself valid', () => {
    expect(() => parseStackConfig(baseSections())).not.toThrow();
  });
});

describe('npm run render with an invalid stack', () => {
  it('lists the bad keys, exits 1 and writes nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'baluhost-render-bad-'));
    try {
      await writeFile(join(dir, 'Pulumi.broken.yaml'), 'config:\n  baluhost:domains: [nas.example.com]\n  baluhost:tls:\n    mode: acme\n');
      const out = join(dir, 'out');
      const run = await runScript('scripts/render.ts', ['--stack', 'broken', '--project', dir, '--out', out]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('baluhost:host: is required');
      expect(run.stderr).toContain('baluhost:tls.mode: must be one of');
      expect(await readdir(dir)).toEqual(['Pulumi.broken.yaml']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses unknown flags before reading anything (exit 2)', async () => {
    const run = await runScript('scripts/render.ts', ['--stack', 'dev', '--outdir', '/tmp/x']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("Unknown option '--outdir'");
  });
});
