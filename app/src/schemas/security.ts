import { Type, type Static } from '@sinclair/typebox';

export const RateLimits = Type.Object(
  {
    lockout_threshold: Type.Integer({ minimum: 1, maximum: 100, description: 'Failed logins before an account is locked.' }),
    lockout_seconds: Type.Integer({ minimum: 1, maximum: 86400, description: 'First lockout length (doubles each time, at most a day).' }),
    auth_per_minute: Type.Integer({ minimum: 0, maximum: 100000, description: 'Requests per minute per address to /api/auth/* (0: off).' }),
    api_per_minute: Type.Integer({ minimum: 0, maximum: 1000000, description: 'Requests per minute per address to the rest of the API (0: off).' }),
  },
  { additionalProperties: false },
);
export type RateLimits = Static<typeof RateLimits>;

export const LockoutList = Type.Object({
  lockouts: Type.Array(Type.Object({ subject: Type.String(), locked_until: Type.String(), level: Type.Integer() })),
});

export const LockoutParams = Type.Object({ subject: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });
export type LockoutParams = Static<typeof LockoutParams>;
