import { Type, type Static } from '@sinclair/typebox';
import type { User } from '../repositories/index.js';

/** 3–32 characters of [A-Za-z0-9_.-], starting with a letter or digit (it names a folder on disk). */
export const UsernameSchema = Type.String({ minLength: 3, maxLength: 32, pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$' });
/** Optional, and LAN addresses such as admin@nas.local are fine: only the shape is checked. */
export const EmailSchema = Type.String({ maxLength: 254, pattern: '^$|^[^\\s@]+@[^\\s@]+$' });

export const UserDto = Type.Object({
  id: Type.Integer(),
  username: Type.String(),
  email: Type.String(),
  role: Type.Union([Type.Literal('admin'), Type.Literal('user')]),
  is_active: Type.Boolean(),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
  avatar_url: Type.Union([Type.String(), Type.Null()], {
    description: 'Where the profile picture is served (no token needed: the name is unguessable), null without one.',
  }),
});
export type UserDto = Static<typeof UserDto>;

export const ProfileBody = Type.Object({ email: Type.Optional(EmailSchema) }, { additionalProperties: false });
export type ProfileBody = Static<typeof ProfileBody>;

export function toUserDto(user: User): UserDto {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    role: user.role,
    is_active: user.isActive,
    created_at: user.createdAt,
    updated_at: user.updatedAt,
    avatar_url: user.avatarKey === null ? null : `/api/avatars/${user.avatarKey}`,
  };
}

const Role = Type.Union([Type.Literal('admin'), Type.Literal('user')]);
const Password = Type.String({ minLength: 1, maxLength: 1024 });

export const UserListQuery = Type.Object(
  {
    search: Type.Optional(Type.String({ maxLength: 100 })),
    role: Type.Optional(Role),
    is_active: Type.Optional(Type.Boolean()),
    sort_by: Type.Optional(
      Type.Union([Type.Literal('id'), Type.Literal('username'), Type.Literal('email'), Type.Literal('role'), Type.Literal('created_at')]),
    ),
    sort_order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')])),
  },
  { additionalProperties: false },
);
export type UserListQuery = Static<typeof UserListQuery>;

export const UserListResponse = Type.Object({
  users: Type.Array(UserDto),
  total: Type.Integer(),
  active: Type.Integer(),
  inactive: Type.Integer(),
  admins: Type.Integer(),
});

export const CreateUserBody = Type.Object(
  { username: UsernameSchema, email: Type.Optional(EmailSchema), password: Password, role: Type.Optional(Role) },
  { additionalProperties: false },
);
export type CreateUserBody = Static<typeof CreateUserBody>;

export const RegisterBody = Type.Object(
  { username: UsernameSchema, email: Type.Optional(EmailSchema), password: Password },
  { additionalProperties: false },
);
export type RegisterBody = Static<typeof RegisterBody>;

export const UpdateUserBody = Type.Object(
  {
    username: Type.Optional(UsernameSchema),
    email: Type.Optional(EmailSchema),
    password: Type.Optional(Password),
    role: Type.Optional(Role),
    is_active: Type.Optional(Type.Boolean()),
    quota_bytes: Type.Optional(
      Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], { description: 'Per-user quota in bytes; null = the server default.' }),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateUserBody = Static<typeof UpdateUserBody>;

export const UserIdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) }, { additionalProperties: false });
export type UserIdParams = Static<typeof UserIdParams>;

export const BulkDeleteBody = Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1, maxItems: 500 });
export type BulkDeleteBody = Static<typeof BulkDeleteBody>;
export const BulkDeleteResponse = Type.Object({ deleted: Type.Integer(), failed: Type.Integer(), failed_ids: Type.Array(Type.Integer()) });
