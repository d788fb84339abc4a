import { ValidationError } from '../errors/index.js';

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 128;

/** Throws ValidationError at `field` when `password` is not acceptable for `username`. */
export function assertPasswordAllowed(password: string, username: string, field: (string | number)[]): void {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) throw ValidationError.field(field, `must be at least ${PASSWORD_MIN_LENGTH} characters`, 'password_policy');
  if (length > PASSWORD_MAX_LENGTH) throw ValidationError.field(field, `must be at most ${PASSWORD_MAX_LENGTH} characters`, 'password_policy');
  if (password.toLowerCase() === username.toLowerCase()) throw ValidationError.field(field, 'must not be the username', 'password_policy');
}
