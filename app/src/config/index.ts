export { envSpec, envJsonSchema } from './config.schema.js';
export type { EnvVarSpec, EnvVarName } from './config.schema.js';
export { loadConfig, parseConfig } from './load-config.js';
export type { Config, DatabaseConfig, LogLevel, PostgresDatabaseConfig, RunMode, SqliteDatabaseConfig } from './config.types.js';
