/**
 * The environment BaluHost reads, as one JSON Schema. Names are an interface operators and scripts
 * rely on; the README's configuration reference is generated from this file (npm run docs:config).
 */
export interface EnvVarSpec {
  type: 'string' | 'integer' | 'boolean';
  description: string;
  default?: string | number | boolean;
  enum?: string[];
  minimum?: number;
  maximum?: number;
  pattern?: string;
  minLength?: number;
  /** Never echoed back in error messages or docs examples. */
  secret?: boolean;
}

export const envSpec = {
  NODE_ENV: {
    type: 'string',
    enum: ['development', 'production', 'test'],
    default: 'development',
    description: 'Run mode. `production` refuses default or short secrets and never auto-migrates PostgreSQL.',
  },
  HOST: { type: 'string', default: '127.0.0.1', minLength: 1, description: 'Address the API listens on.' },
  PORT: { type: 'integer', default: 8000, minimum: 1, maximum: 65535, description: 'TCP port the API listens on.' },
  LOG_LEVEL: {
    type: 'string',
    enum: ['trace', 'debug', 'info', 'warn', 'warning', 'error', 'fatal', 'critical', 'silent'],
    default: 'info',
    description:
      'Minimum level written to the log (JSON on stdout; pretty when stdout is a terminal). `warning` and `critical` are accepted for `warn` and `fatal`.',
  },
  BALUHOST_DATA_DIR: {
    type: 'string',
    default: './data',
    minLength: 1,
    description:
      'Holds the SQLite database, the development secret key and, unless `BALUHOST_STORAGE_ROOT` is set, the storage root (`<data dir>/storage`).',
  },
  BALUHOST_STORAGE_ROOT: {
    type: 'string',
    minLength: 1,
    description: "Folder that holds users' files. Default: `<BALUHOST_DATA_DIR>/storage`.",
  },
  DATABASE_URL: {
    type: 'string',
    pattern: '^postgres(ql)?://',
    secret: true,
    description: 'PostgreSQL connection URL (`postgres://user:pass@host:5432/db`). When unset, BaluHost uses SQLite in the data dir.',
  },
  BALUHOST_DB_POOL_MAX: { type: 'integer', default: 10, minimum: 1, maximum: 200, description: 'PostgreSQL pool size.' },
  BALUHOST_DB_IDLE_TIMEOUT_MS: {
    type: 'integer',
    default: 30000,
    minimum: 0,
    description: 'Close pooled PostgreSQL connections idle this long.',
  },
  BALUHOST_DB_STATEMENT_TIMEOUT_MS: {
    type: 'integer',
    default: 5000,
    minimum: 100,
    description: 'PostgreSQL statement timeout; also how long `/api/ready` waits for the database.',
  },
  BALUHOST_DB_CONNECT_TIMEOUT_MS: {
    type: 'integer',
    default: 3000,
    minimum: 100,
    description: 'Give up opening a PostgreSQL connection after this long (requests then fail fast with 503).',
  },
  BALUHOST_SQLITE_BUSY_TIMEOUT_MS: { type: 'integer', default: 5000, minimum: 0, description: 'SQLite busy timeout.' },
  BALUHOST_AUTO_MIGRATE: {
    type: 'boolean',
    description:
      'Apply pending migrations at start-up. Default: on for SQLite outside production, off for PostgreSQL (run `npm run db:migrate`; in the image `baluhost migrate`).',
  },
  BALUHOST_SECRET_KEY: {
    type: 'string',
    secret: true,
    description:
      'Signs access tokens. At least 32 characters; required in production, where placeholders (`change-me…`, `your-secret…`) and one repeated character are refused. In development a random key is created in `<data dir>/secret.key` when unset.',
  },
  BALUHOST_ADMIN_USERNAME: {
    type: 'string',
    default: 'admin',
    pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{2,31}$',
    description: 'Username of the first admin, created when the users table is empty.',
  },
  BALUHOST_ADMIN_PASSWORD: {
    type: 'string',
    secret: true,
    minLength: 10,
    description: 'Password of the first admin (used only when creating it). When unset, one is generated and printed once.',
  },
  BALUHOST_ACCESS_TOKEN_TTL_SECONDS: {
    type: 'integer',
    default: 900,
    minimum: 60,
    maximum: 86400,
    description: 'Lifetime of access tokens.',
  },
  BALUHOST_REFRESH_TOKEN_TTL_SECONDS: {
    type: 'integer',
    default: 2592000,
    minimum: 300,
    description: 'Absolute lifetime of a login session (refresh tokens rotate inside it).',
  },
  BALUHOST_REGISTRATION_ENABLED: {
    type: 'boolean',
    default: false,
    description: 'Allow self-registration at `POST /api/auth/register` (role is always `user`).',
  },
  BALUHOST_PREVIOUS_SECRET_KEYS: {
    type: 'string',
    secret: true,
    description:
      "Comma-separated former `BALUHOST_SECRET_KEY`s: tokens they signed stay valid until they expire, so a key rotation signs nobody out. Each is held to the current key's rules (32 characters; no placeholder in production).",
  },
  BALUHOST_ENCRYPTION_KEY: {
    type: 'string',
    minLength: 32,
    secret: true,
    description:
      'Seals stored secrets (API key secrets) with AES-256-GCM. Default: derived from `BALUHOST_SECRET_KEY`. Set it to rotate independently.',
  },
  BALUHOST_PREVIOUS_ENCRYPTION_KEYS: {
    type: 'string',
    secret: true,
    description:
      'Comma-separated former encryption keys, still used to open values sealed with them. Each at least 32 characters; no placeholder in production.',
  },
  BALUHOST_SESSION_IDLE_TIMEOUT_SECONDS: {
    type: 'integer',
    default: 1209600,
    minimum: 60,
    description: 'A session unused this long (no refresh) ends; its absolute lifetime is `BALUHOST_REFRESH_TOKEN_TTL_SECONDS`.',
  },
  BALUHOST_LOCKOUT_THRESHOLD: {
    type: 'integer',
    default: 5,
    minimum: 1,
    maximum: 100,
    description:
      'Failed logins for one account before it is locked — for the addresses that failed; an address that never failed still gets one guess at a time.',
  },
  BALUHOST_LOCKOUT_SECONDS: {
    type: 'integer',
    default: 900,
    minimum: 1,
    description: 'First lockout length; each further lockout doubles it (capped at one day).',
  },
  BALUHOST_AUTH_RATE_LIMIT_PER_MINUTE: {
    type: 'integer',
    default: 20,
    minimum: 0,
    description:
      'Requests per minute per client address to the routes that take a password or token (`/api/auth/login`, `register`, `refresh`, `change-password`, `reset-password`, `reauthenticate`; 0: off). Admins can change it at `PUT /api/admin/rate-limits`.',
  },
  BALUHOST_API_RATE_LIMIT_PER_MINUTE: {
    type: 'integer',
    default: 1200,
    minimum: 0,
    description: 'Requests per minute per client address to the rest of the API (0: off).',
  },
  BALUHOST_UPLOAD_DENY_TYPES: {
    type: 'string',
    default: 'exe,dll,msi,elf,macho,apk,jar',
    description:
      "Uploads refused when the file's real content (sniffed) or its extension is one of these (comma-separated file-type extensions; `none`: accept all).",
  },
  CLAMD_SOCKET: {
    type: 'string',
    minLength: 1,
    description:
      'Scan every upload with ClamAV: a clamd Unix socket path or `host:port`. An infected file is refused and nothing is stored; when clamd cannot be reached, uploads fail (503) rather than go unscanned.',
  },
  BALUHOST_CORS_ORIGINS: {
    type: 'string',
    default: '',
    description: 'Comma-separated browser origins allowed to call the API (`https://nas.example.com`). Empty: no cross-origin access.',
  },
  BALUHOST_TRUSTED_PROXIES: {
    type: 'string',
    default: '127.0.0.1,::1',
    description: 'Comma-separated addresses/CIDRs whose `X-Forwarded-For` is believed.',
  },
  BALUHOST_BODY_LIMIT_BYTES: { type: 'integer', default: 1048576, minimum: 1024, description: 'Largest JSON request body.' },
  BALUHOST_DEFAULT_QUOTA_BYTES: {
    type: 'integer',
    minimum: 0,
    description: 'Storage quota for users without their own (admins can set one per user). Unset: no quota, only the disk limits.',
  },
  BALUHOST_UPLOAD_MAX_BYTES: {
    type: 'integer',
    default: 10737418240,
    minimum: 1,
    description: 'Largest single uploaded file (413 above it); enforced while streaming.',
  },
  BALUHOST_STORAGE_RESERVE_BYTES: {
    type: 'integer',
    default: 268435456,
    minimum: 0,
    description: 'Disk space uploads never use, so the NAS keeps room for its database and logs (507 when an upload would eat into it).',
  },
  BALUHOST_PROC_ROOT: {
    type: 'string',
    default: '/proc',
    minLength: 1,
    description: 'Where system telemetry reads `stat`, `meminfo`, `mdstat`, … (tests point it at samples).',
  },
  BALUHOST_TELEMETRY_INTERVAL_MS: {
    type: 'integer',
    default: 5000,
    minimum: 0,
    description: 'How often CPU, memory and network are sampled for `/api/system/telemetry/history` (0 turns sampling off).',
  },
  BALUHOST_TELEMETRY_SAMPLES: {
    type: 'integer',
    default: 720,
    minimum: 1,
    maximum: 100000,
    description: 'How many telemetry samples are kept (a ring buffer in memory).',
  },
  BALUHOST_BACKUP_DIR: {
    type: 'string',
    minLength: 1,
    description: 'Where backups made through the API are written. Default: `<BALUHOST_DATA_DIR>/backups`.',
  },
  BALUHOST_LOG_FILE: {
    type: 'string',
    minLength: 1,
    description: 'Also write logs to this file, rotated (for hosts without journald). Unset: stdout only.',
  },
  BALUHOST_LOG_FILE_SIZE: {
    type: 'string',
    default: '50m',
    pattern: '^\\d+[kmg]?$',
    description: 'Rotate the log file when it reaches this size (`k`, `m`, `g`).',
  },
  BALUHOST_LOG_FILE_FREQUENCY: {
    type: 'string',
    default: 'daily',
    enum: ['hourly', 'daily'],
    description: 'Also rotate the log file this often.',
  },
  BALUHOST_LOG_FILE_ROTATION: {
    type: 'string',
    default: 'app',
    enum: ['app', 'external'],
    description:
      '`app`: BaluHost rotates the log file itself (size, frequency, keep). `external`: it only appends, and logrotate (`copytruncate`) rotates it — what the stacks install.',
  },
  BALUHOST_LOG_FILE_KEEP: { type: 'integer', default: 14, minimum: 1, description: 'How many rotated log files to keep.' },
  BALUHOST_SLOW_REQUEST_MS: {
    type: 'integer',
    default: 1000,
    minimum: 1,
    description: 'Requests slower than this are logged at warn level.',
  },
  BALUHOST_SLOW_QUERY_MS: {
    type: 'integer',
    default: 200,
    minimum: 0,
    description: 'Database queries taking this long or longer are logged at warn level, with the request id (0 logs every query).',
  },
  SENTRY_DSN: {
    type: 'string',
    pattern: '^https?://',
    secret: true,
    description: 'Report unhandled and 5xx errors to Sentry (or a compatible server). Unset: Sentry is not loaded.',
  },
  BALUHOST_RELEASE: {
    type: 'string',
    minLength: 1,
    description: 'Release name in error reports and metrics. Default: the package version.',
  },
  BALUHOST_METRICS_TOKEN: {
    type: 'string',
    minLength: 16,
    secret: true,
    description: '`/metrics` answers loopback clients, and others sending `Authorization: Bearer <this token>`.',
  },
  BALUHOST_READY_MIN_FREE_BYTES: {
    type: 'integer',
    default: 536870912,
    minimum: 0,
    description: '`/api/ready` fails its `disk` check when the storage filesystem has less free space.',
  },
  BALUHOST_MAX_EVENT_LOOP_DELAY_MS: {
    type: 'integer',
    default: 1000,
    minimum: 0,
    description: 'Shed load (503 with Retry-After) while the event loop lags more than this (0: never).',
  },
  BALUHOST_MAX_HEAP_USED_BYTES: {
    type: 'integer',
    default: 0,
    minimum: 0,
    description: 'Shed load while the heap is larger than this (0: never).',
  },
  BALUHOST_PG_TOOLS_CONTAINER: {
    type: 'string',
    pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$',
    description: 'Run pg_dump/pg_restore inside this Docker container (`docker exec`, over its local socket) instead of from PATH.',
  },
  BALUHOST_DOCS_ENABLED: {
    type: 'boolean',
    description:
      'Serve the OpenAPI document and UI at `/docs`. Default: on outside production, off in production (a map of the API is for developers, not for whoever reaches the NAS).',
  },
  BALUHOST_SHUTDOWN_TIMEOUT_MS: {
    type: 'integer',
    default: 10000,
    minimum: 0,
    description: 'On SIGTERM, wait this long for in-flight requests before exiting anyway.',
  },
} satisfies Record<string, EnvVarSpec>;

export type EnvVarName = keyof typeof envSpec;

/** The JSON Schema ajv validates the environment against (all values arrive as strings). */
export function envJsonSchema(): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(envSpec) as [string, EnvVarSpec][]) {
    const { secret: _secret, description, ...rest } = spec;
    properties[name] = { ...rest, description };
  }
  return { type: 'object', properties };
}
