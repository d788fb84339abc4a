import { Type, type Static } from '@sinclair/typebox';

export const RateLimits = Type.Object(
  {
    lockout_threshold: Type.Integer({ minimum: 1, maximum: 100, description: 'Failed logins before an account is locked.' }),
    lockout_seconds: Type.Integer({ minimum: 1, maximum: 86400, description: 'First lockout length (doubles each time, at most a day).' }),
    auth_per_minute: Type.Integer({ minimum: 0, maximum: 100000, description: 'Requests per minute per address to /api/auth/* (0: off).' }),
    api_per_minute: Type.Integer({
      minimum: 0,
      maximum: 1000000,
      description: 'Requests per minute per address to the rest of the API (0: off).',
    }),
  },
  { additionalProperties: false },
);
export type RateLimits = Static<typeof RateLimits>;

export const LockoutList = Type.Object({
  lockouts: Type.Array(Type.Object({ subject: Type.String(), locked_until: Type.String(), level: Type.Integer() })),
});

export const LockoutParams = Type.Object({ subject: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });
export type LockoutParams = Static<typeof LockoutParams>;

export const ReauthenticateBody = Type.Object(
  { password: Type.String({ minLength: 1, maxLength: 1024 }) },
  { additionalProperties: false },
);
export type ReauthenticateBody = Static<typeof ReauthenticateBody>;

export const CreateApiKeyBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 100, pattern: '^[^\\u0000-\\u001f]+$' }) },
  { additionalProperties: false },
);
export type CreateApiKeyBody = Static<typeof CreateApiKeyBody>;
export const CreatedApiKey = Type.Object({ key_id: Type.String(), secret: Type.String(), message: Type.String() });
export const ApiKeyList = Type.Object({
  api_keys: Type.Array(
    Type.Object({
      key_id: Type.String(),
      name: Type.String(),
      user_id: Type.Integer(),
      created_at: Type.String(),
      last_used_at: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
});
export const ApiKeyParams = Type.Object(
  { keyId: Type.String({ minLength: 1, maxLength: 64, pattern: '^bhk_[0-9a-f]+$' }) },
  { additionalProperties: false },
);
export type ApiKeyParams = Static<typeof ApiKeyParams>;

export const RateLimitConfig = Type.Object({
  id: Type.Integer(),
  endpoint_type: Type.String({ description: '`auth` (every /api/auth/* request) or `api` (the rest), counted per client address.' }),
  limit_string: Type.String({ description: '`N/minute`.' }),
  description: Type.String(),
  enabled: Type.Boolean(),
  created_at: Type.String(),
  updated_at: Type.Union([Type.String(), Type.Null()]),
  updated_by: Type.Null({ description: 'Not recorded here: the audit log names who changed a limit.' }),
});

export const RateLimitOverview = Type.Composite([RateLimits, Type.Object({ configs: Type.Array(RateLimitConfig), total: Type.Integer() })]);

export const RateLimitParams = Type.Object(
  { endpoint_type: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: false },
);
export type RateLimitParams = Static<typeof RateLimitParams>;

export const RateLimitChange = Type.Object(
  {
    limit_string: Type.Optional(Type.String({ maxLength: 64, description: '`N/minute`; 0 switches the limit off.' })),
    description: Type.Optional(
      Type.Union([Type.String({ maxLength: 500 }), Type.Null()], {
        description: 'Accepted, not stored: each limit has a fixed description.',
      }),
    ),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type RateLimitChange = Static<typeof RateLimitChange>;
