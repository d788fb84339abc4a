import { Type, type Static } from '@sinclair/typebox';
import { UserDto } from './users.js';

// Login accepts any stored password; the policy bounds apply when a password is set.
export const LoginBody = Type.Object(
  { username: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: 1024 }) },
  { additionalProperties: false },
);
export type LoginBody = Static<typeof LoginBody>;

export const RefreshBody = Type.Object({ refresh_token: Type.String({ minLength: 1, maxLength: 512 }) }, { additionalProperties: false });
export type RefreshBody = Static<typeof RefreshBody>;

export const ChangePasswordBody = Type.Object(
  { current_password: Type.String({ minLength: 1, maxLength: 1024 }), new_password: Type.String({ minLength: 1, maxLength: 1024 }) },
  { additionalProperties: false },
);
export type ChangePasswordBody = Static<typeof ChangePasswordBody>;

export const TokenResponse = Type.Object({
  access_token: Type.String(),
  token_type: Type.Literal('bearer'),
  refresh_token: Type.String(),
  expires_in: Type.Integer(),
  user: UserDto,
});

export const SessionDto = Type.Object({
  id: Type.String(),
  created_at: Type.String(),
  last_used_at: Type.String(),
  expires_at: Type.String(),
  ip_address: Type.Union([Type.String(), Type.Null()]),
  user_agent: Type.Union([Type.String(), Type.Null()]),
  current: Type.Boolean(),
});
export const SessionList = Type.Object({ sessions: Type.Array(SessionDto) });
export const SessionParams = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[0-9a-fA-F-]+$' }) },
  { additionalProperties: false },
);
export type SessionParams = Static<typeof SessionParams>;

export const ResetTokenResponse = Type.Object({ reset_token: Type.String(), expires_at: Type.String() });
export const ResetPasswordBody = Type.Object(
  { token: Type.String({ minLength: 1, maxLength: 512 }), new_password: Type.String({ minLength: 1, maxLength: 1024 }) },
  { additionalProperties: false },
);
export type ResetPasswordBody = Static<typeof ResetPasswordBody>;
