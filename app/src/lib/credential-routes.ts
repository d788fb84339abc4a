/**
 * The routes that take a password or a token to exchange for a session: where guessing happens, so
 * they get the tight per-address limit (in the app, and in nginx in front of it). The rest of
 * /api/auth/ (`me`, `logout`, `sessions`) is ordinary API use: BaluHost's web client asks
 * `/api/auth/me` on every page.
 */
export const CREDENTIAL_ROUTES = [
  '/api/auth/login',
  '/api/auth/register',
  '/api/auth/refresh',
  '/api/auth/change-password',
  '/api/auth/reset-password',
  '/api/auth/reauthenticate',
] as const;
