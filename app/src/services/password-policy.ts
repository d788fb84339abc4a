import { ValidationError } from '../errors/index.js';
import { COMMON_PASSWORDS } from './common-passwords.js';

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 128;

/** One character repeated, or a straight run up or down the digits or the alphabet ("abcdefghij"). */
function isPredictable(password: string): boolean {
  // Stryker disable next-line MethodExpression: equivalent: folding to upper case instead finds the same repeats and runs
  const chars = [...password.toLowerCase()];
  if (new Set(chars).size === 1) return true;
  const codes = chars.map((c) => c.codePointAt(0) as number);
  const steps = new Set(codes.slice(1).map((c, i) => c - (codes[i] as number)));
  return steps.size === 1 && (steps.has(1) || steps.has(-1));
}

/** Throws ValidationError at `field` when `password` is not acceptable for `username`. */
export function assertPasswordAllowed(password: string, username: string, field: (string | number)[]): void {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH)
    throw ValidationError.rule(field, `must be at least ${PASSWORD_MIN_LENGTH} characters`, 'password_policy');
  if (length > PASSWORD_MAX_LENGTH)
    throw ValidationError.rule(field, `must be at most ${PASSWORD_MAX_LENGTH} characters`, 'password_policy');
  const lower = password.toLowerCase();
  if (lower === username.toLowerCase()) throw ValidationError.rule(field, 'must not be the username', 'password_policy');
  if (lower.includes(username.toLowerCase()) && username.length >= 4)
    throw ValidationError.rule(field, 'must not contain the username', 'password_policy');
  if (COMMON_PASSWORDS.has(lower))
    throw ValidationError.rule(field, 'is one of the most common passwords; choose another', 'password_policy');
  if (isPredictable(password))
    throw ValidationError.rule(field, 'is too predictable (a repeated character or a straight run)', 'password_policy');
}
