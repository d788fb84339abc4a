import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from './common.js';

const PathString = Type.String({
  maxLength: 4096,
  description: 'Relative POSIX path inside the owner\'s storage; "" is their home folder.',
});
const OwnerId = Type.Optional(
  Type.Integer({ minimum: 1, description: 'Whose files (default: the caller). Needs a share, or admin rights, for another user.' }),
);

export const FileEntry = Type.Object({
  name: Type.String(),
  path: Type.String(),
  size: Type.Integer(),
  type: Type.Union([Type.Literal('file'), Type.Literal('directory')]),
  modified_at: Type.String({ format: 'date-time' }),
  owner_id: Type.Integer(),
  mime_type: Nullable(Type.String()),
  file_id: Type.Integer(),
});

export const ListQuery = Type.Object({ path: Type.Optional(PathString), owner_id: OwnerId }, { additionalProperties: false });
export type ListQuery = Static<typeof ListQuery>;
export const ListResponse = Type.Object({ files: Type.Array(FileEntry) });

export const OwnerQuery = Type.Object({ owner_id: OwnerId }, { additionalProperties: false });
export type OwnerQuery = Static<typeof OwnerQuery>;

export const WildcardPath = Type.Object({ '*': Type.String({ maxLength: 4096 }) });
export type WildcardPath = Static<typeof WildcardPath>;

export const CreateFolderBody = Type.Object(
  { path: PathString, name: Type.String({ minLength: 1, maxLength: 255 }) },
  { additionalProperties: false },
);
export type CreateFolderBody = Static<typeof CreateFolderBody>;

export const RenameBody = Type.Object(
  { old_path: PathString, new_name: Type.String({ minLength: 1, maxLength: 255 }) },
  { additionalProperties: false },
);
export type RenameBody = Static<typeof RenameBody>;

export const MoveBody = Type.Object({ source_path: PathString, target_path: PathString }, { additionalProperties: false });
export type MoveBody = Static<typeof MoveBody>;

export const UploadResponse = Type.Object({
  message: Type.String(),
  uploaded: Type.Integer(),
  upload_ids: Type.Array(Type.String(), { description: 'Per file, its progress session: GET /api/files/progress/{id}.' }),
  file_ids: Type.Array(Type.Integer(), { description: 'Per file, its id (file_id in listings, shares).' }),
});

const UploadProgressDto = Type.Object({
  upload_id: Type.String(),
  filename: Type.String(),
  total_bytes: Type.Integer(),
  uploaded_bytes: Type.Integer(),
  status: Type.Union([Type.Literal('uploading'), Type.Literal('completed'), Type.Literal('failed')]),
  error: Type.Optional(Type.String()),
  started_at: Type.String(),
  completed_at: Type.Optional(Type.String()),
  progress_percentage: Type.Integer(),
});

export const ActiveUploads = Type.Object({ uploads: Type.Array(UploadProgressDto) });

export const UploadIdParams = Type.Object(
  { upload_id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }) },
  { additionalProperties: false },
);
export type UploadIdParams = Static<typeof UploadIdParams>;

export const AvailableResponse = Type.Object({ available_bytes: Type.Integer(), used_bytes: Type.Integer(), quota_bytes: Type.Integer() });

export const Mountpoint = Type.Object({
  id: Type.String(),
  name: Type.String(),
  type: Type.String(),
  path: Type.String(),
  size_bytes: Type.Integer(),
  used_bytes: Type.Integer(),
  available_bytes: Type.Integer(),
  raid_level: Type.Union([Type.String(), Type.Null()]),
  status: Type.String(),
  is_default: Type.Boolean(),
});
export const MountpointsResponse = Type.Object({ mountpoints: Type.Array(Mountpoint), default_mountpoint: Type.String() });

export const PermissionRule = Type.Object(
  { user_id: Type.Integer({ minimum: 1 }), can_view: Type.Boolean(), can_edit: Type.Boolean(), can_delete: Type.Boolean() },
  { additionalProperties: false },
);
export const PermissionsQuery = Type.Object({ path: PathString }, { additionalProperties: false });
export type PermissionsQuery = Static<typeof PermissionsQuery>;
export const PermissionsBody = Type.Object(
  { path: PathString, owner_id: Type.Optional(Type.Integer()), rules: Type.Array(PermissionRule, { maxItems: 500 }) },
  { additionalProperties: false },
);
export type PermissionsBody = Static<typeof PermissionsBody>;
export const PermissionsResponse = Type.Object({ path: Type.String(), owner_id: Type.Integer(), rules: Type.Array(PermissionRule) });
