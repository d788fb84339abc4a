import { Type, type Static } from '@sinclair/typebox';

const Timestamp = Type.String({ format: 'date-time' });
const NullableTimestamp = Type.Union([Timestamp, Type.Null()]);
const Id = Type.Integer({ minimum: 1 });

export const ShareLinkDto = Type.Object({
  id: Type.Integer(),
  token: Type.String(),
  file_id: Type.Integer(),
  owner_id: Type.Integer(),
  has_password: Type.Boolean(),
  allow_download: Type.Boolean(),
  allow_preview: Type.Boolean(),
  max_downloads: Type.Union([Type.Integer(), Type.Null()]),
  download_count: Type.Integer(),
  expires_at: NullableTimestamp,
  description: Type.Union([Type.String(), Type.Null()]),
  created_at: Timestamp,
  last_accessed_at: NullableTimestamp,
  is_expired: Type.Boolean(),
  is_accessible: Type.Boolean(),
  file_name: Type.String(),
  file_path: Type.String(),
  file_size: Type.Integer(),
});

export const CreateLinkBody = Type.Object(
  {
    file_id: Id,
    password: Type.Optional(Type.Union([Type.String({ minLength: 4, maxLength: 128 }), Type.Null()])),
    allow_download: Type.Optional(Type.Boolean({ default: true })),
    allow_preview: Type.Optional(Type.Boolean({ default: true })),
    max_downloads: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
    expires_at: Type.Optional(NullableTimestamp),
    description: Type.Optional(Type.Union([Type.String({ maxLength: 500 }), Type.Null()])),
  },
  { additionalProperties: false },
);
export type CreateLinkBody = Static<typeof CreateLinkBody>;

export const UpdateLinkBody = Type.Object(
  {
    password: Type.Optional(Type.Union([Type.String({ minLength: 4, maxLength: 128 }), Type.Null()])),
    allow_download: Type.Optional(Type.Boolean()),
    allow_preview: Type.Optional(Type.Boolean()),
    max_downloads: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
    expires_at: Type.Optional(NullableTimestamp),
    description: Type.Optional(Type.Union([Type.String({ maxLength: 500 }), Type.Null()])),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateLinkBody = Static<typeof UpdateLinkBody>;

export const IdParams = Type.Object({ id: Id }, { additionalProperties: false });
export type IdParams = Static<typeof IdParams>;

export const TokenParams = Type.Object(
  { token: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$' }) },
  { additionalProperties: false },
);
export type TokenParams = Static<typeof TokenParams>;

export const AccessBody = Type.Union([
  Type.Object({ password: Type.Optional(Type.Union([Type.String({ maxLength: 128 }), Type.Null()])) }, { additionalProperties: false }),
  Type.Null(),
]);
export type AccessBody = Static<typeof AccessBody>;

export const PublicFileInfo = Type.Object({
  file_id: Type.Integer(),
  file_name: Type.String(),
  file_path: Type.String({ description: "The shared item's own name: a visitor learns nothing of the folders above it." }),
  is_directory: Type.Boolean(),
  file_size: Type.Integer(),
  mime_type: Type.Union([Type.String(), Type.Null()]),
  type: Type.Union([Type.Literal('file'), Type.Literal('directory')]),
  allow_download: Type.Boolean(),
  allow_preview: Type.Boolean(),
  description: Type.Union([Type.String(), Type.Null()]),
  expires_at: NullableTimestamp,
  modified_at: Timestamp,
});

export const UserShareDto = Type.Object({
  id: Type.Integer(),
  file_id: Type.Integer(),
  owner_id: Type.Integer(),
  owner_username: Type.String(),
  shared_with_user_id: Type.Integer(),
  shared_with_username: Type.String(),
  can_read: Type.Boolean(),
  can_write: Type.Boolean(),
  can_delete: Type.Boolean(),
  can_share: Type.Boolean(),
  expires_at: NullableTimestamp,
  created_at: Timestamp,
  file_name: Type.String(),
  file_path: Type.String(),
  file_size: Type.Integer(),
  is_directory: Type.Boolean(),
  last_accessed_at: Type.Null({ description: 'Not tracked for user shares (the audit log holds every access).' }),
  is_expired: Type.Boolean(),
  is_accessible: Type.Boolean({ description: 'Not expired, and whoever granted it could still grant it.' }),
});

export const SharedWithMeDto = Type.Composite([UserShareDto, Type.Object({ share_id: Type.Integer(), shared_at: Timestamp })]);

export const ShareStatistics = Type.Object({
  total_share_links: Type.Integer(),
  active_share_links: Type.Integer(),
  expired_share_links: Type.Integer(),
  total_downloads: Type.Integer(),
  total_file_shares: Type.Integer(),
  active_file_shares: Type.Integer(),
  files_shared_with_me: Type.Integer(),
});

export const PublicLinkInfo = Type.Object({
  has_password: Type.Boolean(),
  is_accessible: Type.Boolean(),
  is_expired: Type.Boolean(),
  file_name: Type.String(),
  file_size: Type.Integer(),
  is_directory: Type.Boolean(),
  description: Type.Union([Type.String(), Type.Null()]),
  expires_at: NullableTimestamp,
  allow_preview: Type.Boolean(),
});

export const FileIdParams = Type.Object({ file_id: Id }, { additionalProperties: false });
export type FileIdParams = Static<typeof FileIdParams>;

export const CreateUserShareBody = Type.Object(
  {
    file_id: Id,
    shared_with_user_id: Id,
    can_read: Type.Optional(Type.Boolean({ default: true })),
    can_write: Type.Optional(Type.Boolean({ default: false })),
    can_delete: Type.Optional(Type.Boolean({ default: false })),
    can_share: Type.Optional(Type.Boolean({ default: false })),
    expires_at: Type.Optional(NullableTimestamp),
  },
  { additionalProperties: false },
);
export type CreateUserShareBody = Static<typeof CreateUserShareBody>;

export const UpdateUserShareBody = Type.Object(
  {
    can_read: Type.Optional(Type.Boolean()),
    can_write: Type.Optional(Type.Boolean()),
    can_delete: Type.Optional(Type.Boolean()),
    can_share: Type.Optional(Type.Boolean()),
    expires_at: Type.Optional(NullableTimestamp),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateUserShareBody = Static<typeof UpdateUserShareBody>;
