/**
 * Everything one BaluHost stack needs, as one JSON Schema (TypeBox builds it, ajv checks it).
 * Values come from `Pulumi.<stack>.yaml` (`baluhost:<section>` keys); secrets are not part of it —
 * the program reads them with `config.requireSecret` so they never reach a rendered file.
 */
import { Type, type Static } from '@sinclair/typebox';

/** A string enum as plain JSON Schema `enum` (one clear ajv error, unlike a union of literals). */
const oneOf = <T extends string>(values: readonly T[], options: object) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values], ...options });

const port = (description: string, fallback?: number) =>
  Type.Integer({ minimum: 1, maximum: 65535, description, ...(fallback === undefined ? {} : { default: fallback }) });

/** Absolute POSIX path with no `.`/`..` segments, no doubled or trailing slash, no whitespace or shell-special characters. */
export const ABSOLUTE_PATH = '^(/[A-Za-z0-9._@+-]+)+$';
const NO_DOT_SEGMENTS = '^(?!.*/\\.{1,2}(/|$))';
const absolutePath = (description: string, fallback?: string) =>
  Type.String({
    allOf: [{ pattern: ABSOLUTE_PATH }, { pattern: NO_DOT_SEGMENTS }],
    maxLength: 255,
    description,
    ...(fallback === undefined ? {} : { default: fallback }),
  });

/** A DNS name (RFC 1123 labels, at least two of them, no trailing dot). */
export const DOMAIN_NAME = '^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$';
/** IPv4 or IPv6 network in CIDR notation (the address part is checked loosely; nft checks it for real). */
export const CIDR =
  '^((25[0-5]|2[0-4]\\d|1?\\d?\\d)(\\.(25[0-5]|2[0-4]\\d|1?\\d?\\d)){3}/(3[0-2]|[12]?\\d)|[0-9a-fA-F:]*:[0-9a-fA-F:.]*/(12[0-8]|1[01]\\d|[1-9]?\\d))$';
export const IMAGE_REF =
  '^[a-z0-9]+([._/-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$';
const ENV_NAME = '^[A-Z][A-Z0-9_]*$';

const Host = Type.Object(
  {
    address: Type.String({ format: 'hostname-or-ip', description: 'Address or host name of the NAS on the LAN (what SSH connects to).' }),
    sshUser: Type.String({
      pattern: '^[a-z_][a-z0-9_-]{0,31}$',
      default: 'baluhost',
      description: 'Account Pulumi and the scripts log in as (needs passwordless sudo for installing files).',
    }),
    sshPort: port('SSH port of the NAS; the firewall always keeps it open for `firewall.sshAllowedRanges`.', 22),
    hostKey: Type.String({
      pattern: '^(ssh-ed25519|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384|ecdsa-sha2-nistp521|ssh-rsa) [A-Za-z0-9+/]+={0,3}( \\S*)?$',
      description:
        "The NAS's SSH host public key as in `ssh-keyscan` output (type and base64). Connections to a host presenting any other key are refused.",
    }),
  },
  { additionalProperties: false, description: 'The NAS and how to reach it over SSH.' },
);

const Tls = Type.Object(
  {
    mode: oneOf(['letsencrypt', 'selfsigned', 'provided'] as const, {
      description:
        '`letsencrypt` (public domain, HTTP-01 via the nginx webroot), `selfsigned` (LAN-only NAS), or `provided` (your own certificate files on the NAS).',
    }),
    email: Type.Optional(
      Type.String({ format: 'email', description: "Let's Encrypt account e-mail (expiry warnings). Required for `letsencrypt`." }),
    ),
    acmeServer: Type.Optional(
      Type.String({
        format: 'uri',
        pattern: '^https://',
        description: "ACME directory URL; set Let's Encrypt staging here while testing.",
      }),
    ),
    certificatePath: Type.Optional(absolutePath('Certificate chain (PEM) on the NAS. Required for `provided`.')),
    keyPath: Type.Optional(absolutePath('Private key (PEM) on the NAS. Required for `provided`.')),
    ocspStapling: Type.Boolean({
      default: false,
      description: "Staple OCSP responses. Only for a CA that still runs OCSP (Let's Encrypt stopped in 2025); never with `selfsigned`.",
    }),
    installRenewTimer: Type.Boolean({
      default: false,
      description:
        "Install baluhost-certbot-renew.timer. Leave off when the distribution's certbot package ships its own timer (Debian, Ubuntu).",
    }),
  },
  { additionalProperties: false, description: 'How the HTTPS certificate is obtained.' },
);

const App = Type.Object(
  {
    runtime: oneOf(['docker', 'baremetal'] as const, {
      default: 'docker',
      description: '`docker`: blue/green containers; `baremetal`: one systemd service (baluhost.service) running Node directly.',
    }),
    image: Type.Optional(
      Type.String({
        pattern: IMAGE_REF,
        maxLength: 255,
        description:
          "Image reference to run (pin by digest in production). When unset, the image is built on the NAS from this repository's Dockerfile.",
      }),
    ),
    slotImages: Type.Object(
      {
        blue: Type.Optional(
          Type.String({
            pattern: IMAGE_REF,
            maxLength: 255,
            description: 'Image the blue slot runs (written by deploy/promote/rollback).',
          }),
        ),
        green: Type.Optional(
          Type.String({
            pattern: IMAGE_REF,
            maxLength: 255,
            description: 'Image the green slot runs (written by deploy/promote/rollback).',
          }),
        ),
      },
      {
        additionalProperties: false,
        default: {},
        description:
          'Per-slot image, so a release changes only the inactive slot. A slot without one runs `image` (or the image built from the Dockerfile).',
      },
    ),
    release: Type.String({
      pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$',
      default: 'initial',
      description: 'Release id recorded with the deploy (the deploy script sets it).',
    }),
    slots: Type.Object(
      { blue: port('Loopback port of the blue slot.', 8001), green: port('Loopback port of the green slot.', 8002) },
      {
        additionalProperties: false,
        default: {},
        description: 'Loopback ports of the two release slots; nginx proxies to the active one.',
      },
    ),
    activeSlot: oneOf(['blue', 'green'] as const, {
      default: 'blue',
      description: 'Slot nginx sends traffic to. A release replaces the other one.',
    }),
    env: Type.Record(Type.String({ pattern: ENV_NAME }), Type.String({ maxLength: 4096, pattern: '^[^\\r\\n\\x00]*$' }), {
      additionalProperties: false,
      default: {},
      description:
        "Extra non-secret environment for the app (see the README's configuration table). Secrets go in `pulumi config set --secret`.",
    }),
    memoryMb: Type.Integer({ minimum: 128, maximum: 65536, default: 512, description: 'Memory limit per slot (MiB).' }),
    cpus: Type.Number({ exclusiveMinimum: 0, maximum: 64, default: 1, description: 'CPU limit per slot.' }),
    dataPath: absolutePath('App data on the NAS (secret key file, SQLite when not using PostgreSQL).', '/srv/baluhost/data'),
    storagePath: absolutePath("Users' files on the NAS.", '/srv/baluhost/storage'),
    logPath: absolutePath('App log files on the NAS.', '/var/log/baluhost'),
    installPath: absolutePath('Where the built app lives in `baremetal` mode.', '/opt/baluhost'),
    nodePath: absolutePath('Node.js 20 binary in `baremetal` mode.', '/usr/bin/node'),
    maxUploadMb: Type.Integer({
      minimum: 1,
      maximum: 1048576,
      default: 10240,
      description: 'Largest upload (MiB); nginx and the app enforce the same cap.',
    }),
    fileLogging: Type.Boolean({ default: true, description: 'Also write the app log to files under `logPath` (rotated by logrotate).' }),
  },
  { additionalProperties: false, description: 'The BaluHost API.' },
);

const Database = Type.Object(
  {
    image: Type.String({
      pattern: IMAGE_REF,
      maxLength: 255,
      default: 'postgres:15-bookworm',
      description: 'PostgreSQL image; pin it by digest (`postgres:15@sha256:…`) in production.',
    }),
    dataPath: absolutePath('PostgreSQL data directory on the NAS.', '/srv/baluhost/postgres'),
    poolSize: Type.Integer({ minimum: 1, maximum: 200, default: 10, description: 'Connections per app slot.' }),
    publishPort: Type.Optional(
      port('Publish PostgreSQL on 127.0.0.1 of the NAS at this port (for maintenance). Never on other addresses.'),
    ),
  },
  { additionalProperties: false, default: {}, description: 'PostgreSQL (a container on an internal Docker network).' },
);

const Backups = Type.Object(
  {
    schedule: Type.String({
      minLength: 1,
      maxLength: 100,
      pattern: '^[0-9A-Za-z*,./:~ -]+$',
      default: '*-*-* 03:15:00',
      description: 'systemd calendar expression for the nightly backup (`systemd-analyze calendar` must accept it).',
    }),
    keepLast: Type.Integer({ minimum: 1, maximum: 1000, default: 7, description: 'Always keep this many newest backups.' }),
    keepDays: Type.Integer({ minimum: 1, maximum: 3650, default: 30, description: 'Also keep every backup younger than this many days.' }),
    destination: absolutePath('Backup folder on the NAS (put it on another disk than `storagePath`).', '/srv/baluhost/backups'),
  },
  { additionalProperties: false, default: {}, description: 'Scheduled database backups.' },
);

const Logging = Type.Object(
  {
    retentionDays: Type.Integer({
      minimum: 1,
      maximum: 3650,
      default: 14,
      description: 'Days of nginx, app and backup logs kept by logrotate.',
    }),
  },
  { additionalProperties: false, default: {}, description: 'Log retention on the NAS.' },
);

const Firewall = Type.Object(
  {
    enabled: Type.Boolean({ default: true, description: 'Install the nftables ruleset (table `inet baluhost`).' }),
    sshAllowedRanges: Type.Array(Type.String({ pattern: CIDR }), {
      minItems: 1,
      maxItems: 64,
      description: 'Networks allowed to reach SSH (the port in `host.sshPort`).',
    }),
    webAllowedRanges: Type.Array(Type.String({ pattern: CIDR }), {
      minItems: 1,
      maxItems: 64,
      description: 'Networks allowed to reach HTTP/HTTPS. Use 0.0.0.0/0 and ::/0 for a public site.',
    }),
  },
  { additionalProperties: false, description: 'Host firewall.' },
);

const Monitoring = Type.Object(
  { enabled: Type.Boolean({ default: true, description: 'Expose `/metrics` to the NAS itself (loopback) for Prometheus.' }) },
  { additionalProperties: false, default: {}, description: 'Monitoring.' },
);

const Nginx = Type.Object(
  {
    httpPort: port('Port nginx serves plain HTTP on (redirects and ACME challenges).', 80),
    httpsPort: port('Port nginx serves HTTPS on.', 443),
    authPerMinute: Type.Integer({
      minimum: 1,
      maximum: 6000,
      default: 10,
      description:
        'Requests per minute per client address to the routes that take a password or token (`/api/auth/login` and the like; nginx `limit_req`).',
    }),
    authBurst: Type.Integer({
      minimum: 0,
      maximum: 1000,
      default: 5,
      description: 'Requests allowed above that rate before nginx answers 429.',
    }),
  },
  { additionalProperties: false, default: {}, description: 'The nginx reverse proxy on the NAS.' },
);

const WebClient = Type.Object(
  {
    dist: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 1024,
        pattern: '^[^\\r\\n\\x00]*$',
        description:
          "A folder of BaluHost's built web client on the operator's machine (`index.html` at its top), absolute or relative to the project.",
      }),
    ),
    archive: Type.Optional(
      Type.String({
        format: 'uri',
        pattern: '^https?://',
        maxLength: 2048,
        description: "A release archive (.tar.gz or .tgz) of the built client, fetched on the operator's machine; needs `sha256`.",
      }),
    ),
    sha256: Type.Optional(
      Type.String({ pattern: '^[a-f0-9]{64}$', description: "The archive's SHA-256; checked before anything is pushed." }),
    ),
  },
  {
    additionalProperties: false,
    description: 'Where the built web client comes from: `dist`, or `archive` with `sha256`. Without it nginx serves the API only.',
  },
);

export const StackConfigSchema = Type.Object(
  {
    host: Host,
    domains: Type.Array(Type.String({ pattern: DOMAIN_NAME, maxLength: 253 }), {
      minItems: 1,
      maxItems: 20,
      uniqueItems: true,
      description: "Names the site answers to; the first is the certificate's primary name.",
    }),
    tls: Tls,
    app: App,
    database: Database,
    backups: Backups,
    logging: Logging,
    firewall: Firewall,
    monitoring: Monitoring,
    nginx: Nginx,
    webClient: Type.Optional(WebClient),
  },
  { additionalProperties: false },
);

/** How a failed pattern is named in errors: what was expected, not the regular expression. */
export const PATTERN_DESCRIPTIONS: Record<string, string> = {
  [ABSOLUTE_PATH]: 'an absolute path of plain segments (letters, digits, . _ @ + -)',
  [NO_DOT_SEGMENTS]: 'a path without . or .. segments',
  [DOMAIN_NAME]: 'a lower-case DNS name such as nas.example.com',
  [CIDR]: 'a network in CIDR notation such as 192.168.1.0/24',
  [IMAGE_REF]: 'an image reference such as postgres:15@sha256:…',
  [ENV_NAME]: 'an upper-case environment variable name',
  '^[^\\r\\n\\x00]*$': 'a single line',
};

export type StackConfig = Static<typeof StackConfigSchema>;
export type Slot = StackConfig['app']['activeSlot'];
export const STACK_SECTIONS = Object.keys(StackConfigSchema.properties) as (keyof StackConfig)[];
