/**
 * Every error BaluHost throws on purpose. Services throw these; the one error handler
 * (plugins/error-handler.ts) maps them to HTTP. `code` is stable: clients and tests match on it.
 */
export class AppError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;

  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.name = new.target.name;
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export interface FieldIssue {
  loc: (string | number)[];
  msg: string;
  type: string;
}

export class ValidationError extends AppError {
  readonly issues: FieldIssue[];
  /** Answered with `detail` as this message (and the issues in `errors`): for rules a person reads, such as the password policy. */
  readonly detailAsText: boolean;
  constructor(issues: FieldIssue[], message = 'Request validation failed', detailAsText = false) {
    super(422, 'validation_error', message);
    this.issues = issues;
    this.detailAsText = detailAsText;
  }

  static field(loc: (string | number)[], msg: string, type = 'value_error'): ValidationError {
    return new ValidationError([{ loc, msg, type }], `${loc.join('.')}: ${msg}`);
  }

  /**
   * A rule's refusal, answered with a sentence in `detail`: BaluHost's web client shows `detail` as
   * text (an array there crashes its page); the field is still named in `errors`.
   */
  static rule(loc: (string | number)[], msg: string, type: string): ValidationError {
    return new ValidationError([{ loc, msg, type }], `${String(loc.at(-1))}: ${msg}`, true);
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = 'Not authenticated', code = 'unauthorized') {
    super(401, code, message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'Forbidden', code = 'forbidden') {
    super(403, code, message);
  }
}

export class NotFoundError extends AppError {
  constructor(message: string, code = 'not_found') {
    super(404, code, message);
  }
}

export class ConflictError extends AppError {
  constructor(message: string, code = 'conflict') {
    super(409, code, message);
  }
}

export class GoneError extends AppError {
  constructor(message: string, code = 'gone') {
    super(410, code, message);
  }
}

export class PayloadTooLargeError extends AppError {
  constructor(message: string, code = 'payload_too_large') {
    super(413, code, message);
  }
}

export class TooManyRequestsError extends AppError {
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds: number, code = 'rate_limited') {
    super(429, code, message);
    this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterSeconds));
  }
}

export class InsufficientStorageError extends AppError {
  constructor(message: string, code = 'insufficient_storage') {
    super(507, code, message);
  }
}

/** A request BaluHost understands and refuses by design (it changes no disk): not a bug, never reported as one. */
export class NotImplementedError extends AppError {
  constructor(message: string, code = 'not_implemented') {
    super(501, code, message);
  }
}

export class ServiceUnavailableError extends AppError {
  readonly retryAfterSeconds: number;
  constructor(message: string, code = 'service_unavailable', retryAfterSeconds = 5, details?: unknown) {
    super(503, code, message, details);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Bad configuration: not an HTTP error; the process refuses to start and prints every issue. */
export class ConfigError extends Error {
  readonly issues: string[];
  constructor(issues: string[]) {
    super(`Invalid configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** A folder the server must write to is not writable by the user it runs as: it refuses to start, naming folder and owner. */
export class FolderAccessError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FolderAccessError';
  }
}

/** The database schema is not one this build can run against. */
export class SchemaVersionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SchemaVersionError';
  }
}

/** Another release operation holds the NAS's deploy lock; nothing was changed. */
export class DeployLockError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeployLockError';
  }
}

/** A release step failed; `step` names it (preflight, backup, up, restore, …). */
export class ReleaseError extends Error {
  readonly step: string;
  constructor(step: string, message: string) {
    super(`${step}: ${message}`);
    this.name = 'ReleaseError';
    this.step = step;
  }
}
