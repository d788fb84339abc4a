export {
  AppError,
  ConfigError,
  DeployLockError,
  ReleaseError,
  ConflictError,
  ForbiddenError,
  GoneError,
  InsufficientStorageError,
  NotFoundError,
  PayloadTooLargeError,
  FolderAccessError,
  SchemaVersionError,
  ServiceUnavailableError,
  TooManyRequestsError,
  UnauthorizedError,
  ValidationError,
} from './app-errors.js';
export type { FieldIssue } from './app-errors.js';
