export type RunMode = 'development' | 'production' | 'test';
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

export interface SqliteDatabaseConfig {
  readonly kind: 'sqlite';
  readonly file: string;
  readonly busyTimeoutMs: number;
}

export interface PostgresDatabaseConfig {
  readonly kind: 'postgres';
  readonly url: string;
  readonly poolMax: number;
  readonly idleTimeoutMs: number;
  readonly statementTimeoutMs: number;
  readonly connectTimeoutMs: number;
  /** Run the PostgreSQL client tools in this container instead of from PATH. */
  readonly toolsContainer?: string | null;
}

export type DatabaseConfig = SqliteDatabaseConfig | PostgresDatabaseConfig;

export interface Config {
  readonly mode: RunMode;
  readonly version: string;
  readonly server: {
    readonly host: string;
    readonly port: number;
    readonly trustedProxies: readonly string[];
    readonly bodyLimitBytes: number;
    readonly shutdownTimeoutMs: number;
    readonly docsEnabled: boolean;
    readonly corsOrigins: readonly string[];
  };
  readonly logLevel: LogLevel;
  readonly dataDir: string;
  readonly storageRoot: string;
  readonly database: DatabaseConfig;
  readonly autoMigrate: boolean;
  readonly files: {
    /** null: no default quota (disk limits only). */
    readonly defaultQuotaBytes: number | null;
    readonly uploadMaxBytes: number;
    readonly reserveBytes: number;
    readonly denyTypes: readonly string[];
    readonly clamdSocket: string | null;
  };
  readonly system: {
    readonly procRoot: string;
    readonly telemetryIntervalMs: number;
    readonly telemetrySamples: number;
  };
  readonly backups: {
    readonly dir: string;
  };
  readonly observability: {
    readonly release: string;
    readonly logFile: {
      readonly path: string;
      readonly size: string;
      readonly frequency: 'hourly' | 'daily';
      readonly keep: number;
      readonly rotation: 'app' | 'external';
    } | null;
    readonly slowRequestMs: number;
    readonly slowQueryMs: number;
    readonly sentryDsn: string | null;
    readonly metricsToken: string | null;
    readonly readyMinFreeBytes: number;
    readonly maxEventLoopDelayMs: number;
    readonly maxHeapUsedBytes: number;
  };
  readonly auth: {
    /** null only before loadConfig() has provided the development key. */
    readonly secretKey: string | null;
    readonly accessTokenTtlSeconds: number;
    readonly refreshTokenTtlSeconds: number;
    readonly adminUsername: string;
    readonly adminPassword: string | null;
    readonly registrationEnabled: boolean;
    readonly previousSecretKeys: readonly string[];
    /** null: derive from the secret key. */
    readonly encryptionKey: string | null;
    readonly previousEncryptionKeys: readonly string[];
    readonly sessionIdleTimeoutSeconds: number;
  };
  readonly throttle: {
    readonly lockoutThreshold: number;
    readonly lockoutSeconds: number;
    readonly authPerMinute: number;
    readonly apiPerMinute: number;
  };
}
