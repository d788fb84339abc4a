import { Type, type TSchema } from '@sinclair/typebox';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const SystemInfo = Type.Object({
  cpu: Type.Object({ usage: Type.Number(), cores: Type.Integer(), frequency_mhz: Nullable(Type.Number()), model: Type.String() }),
  memory: Type.Object({ total: Type.Integer(), used: Type.Integer(), free: Type.Integer() }),
  disk: Type.Object({ total: Type.Integer(), used: Type.Integer(), free: Type.Integer() }),
  uptime: Type.Integer(),
  dev_mode: Type.Boolean(),
});

export const StorageInfo = Type.Object({
  filesystem: Type.String(),
  total: Type.Integer(),
  used: Type.Integer(),
  available: Type.Integer(),
  use_percent: Type.Number(),
  mount_point: Type.String(),
});

export const QuotaInfo = Type.Object({
  limit_bytes: Nullable(Type.Integer()),
  used_bytes: Type.Integer(),
  available_bytes: Nullable(Type.Integer()),
  percent_used: Nullable(Type.Number()),
});

export const TelemetryHistory = Type.Object({
  cpu: Type.Array(Type.Object({ timestamp: Type.String(), usage: Type.Number() })),
  memory: Type.Array(Type.Object({ timestamp: Type.String(), used: Type.Integer(), total: Type.Integer(), percent: Type.Number() })),
  network: Type.Array(Type.Object({ timestamp: Type.String(), downloadMbps: Type.Number(), uploadMbps: Type.Number() })),
});

const RaidMember = Type.Object({ name: Type.String(), slot: Type.Integer(), state: Type.String() });
const RaidSync = Type.Object({
  operation: Type.String(),
  progress_percent: Nullable(Type.Number()),
  finish: Type.Union([Type.String(), Type.Null()]),
  speed: Type.Union([Type.String(), Type.Null()]),
});

export const RaidStatus = Type.Object({
  available: Type.Boolean({ description: 'false when the host has no /proc/mdstat (no md driver).' }),
  arrays: Type.Array(
    Type.Object({
      name: Type.String(),
      level: Type.Union([Type.String(), Type.Null()]),
      state: Type.String(),
      status: Type.String(),
      read_only: Type.Boolean(),
      blocks: Nullable(Type.Integer()),
      devices: Type.Array(RaidMember),
      total_devices: Nullable(Type.Integer()),
      active_devices: Nullable(Type.Integer()),
      member_status: Type.Union([Type.String(), Type.Null()]),
      sync: Type.Union([RaidSync, Type.Null()]),
    }),
  ),
});

export const SmartStatus = Type.Object({
  available: Type.Boolean(),
  reason: Type.Optional(Type.String()),
  devices: Type.Optional(Type.Array(Type.Unknown())),
});
