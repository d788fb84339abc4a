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
});
export type UserDto = Static<typeof UserDto>;

export function toUserDto(user: User): UserDto {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    role: user.role,
    is_active: user.isActive,
    created_at: user.createdAt,
    updated_at: user.updatedAt,
  };
}
