export { createDatabase } from './database.js';
export type { Database, Dialect, PoolStats, QueryEvent } from './database.js';
export { isDatabaseUnavailableError, isUniqueViolation } from './connection-errors.js';
export { migrateDown, migrateToLatest, prepareSchema, schemaStatus } from './migrator.js';
export type { SchemaStatus } from './migrator.js';
export type * from './schema.js';
export { DATA_TABLES, MIGRATION_TABLES } from './tables.js';
export type { DataTable } from './tables.js';
