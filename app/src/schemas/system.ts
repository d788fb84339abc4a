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

const EpochMs = Type.Integer({ description: 'Epoch milliseconds.' });

export const TelemetryHistory = Type.Object({
  cpu: Type.Array(Type.Object({ timestamp: EpochMs, usage: Type.Number() })),
  memory: Type.Array(Type.Object({ timestamp: EpochMs, used: Type.Integer(), total: Type.Integer(), percent: Type.Number() })),
  network: Type.Array(Type.Object({ timestamp: EpochMs, downloadMbps: Type.Number(), uploadMbps: Type.Number() })),
});

export const DiskIoHistory = Type.Object({
  disks: Type.Array(
    Type.Object({
      diskName: Type.String(),
      model: Nullable(Type.String()),
      samples: Type.Array(
        Type.Object({
          timestamp: EpochMs,
          readMbps: Type.Number(),
          writeMbps: Type.Number(),
          readIops: Type.Number(),
          writeIops: Type.Number(),
          avgResponseMs: Nullable(Type.Number()),
          activeTimePercent: Type.Number(),
        }),
      ),
    }),
  ),
  interval: Type.Number({ description: 'Seconds between samples.' }),
});

export const AggregatedStorage = Type.Composite([
  StorageInfo,
  Type.Object({ device_count: Type.Integer({ description: 'Block-device filesystems counted.' }) }),
]);

export const AvailableDisks = Type.Object({
  disks: Type.Array(
    Type.Object({
      name: Type.String(),
      size_bytes: Type.Integer(),
      model: Nullable(Type.String()),
      is_partitioned: Type.Boolean(),
      partitions: Type.Array(Type.String()),
      in_raid: Type.Boolean(),
    }),
  ),
});

export const SmartMode = Type.Object({ mode: Type.Literal('real'), message: Type.Optional(Type.String()) });

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
      size_bytes: Type.Integer(),
      resync_progress: Nullable(Type.Number()),
      sync_action: Nullable(Type.String()),
      bitmap: Nullable(Type.String()),
    }),
  ),
  speed_limits: Type.Object({ minimum: Nullable(Type.Integer()), maximum: Nullable(Type.Integer()) }),
});

const SmartDevice = Type.Object({
  name: Type.String(),
  model: Type.String(),
  serial: Type.String(),
  temperature: Nullable(Type.Number()),
  status: Type.String({ description: 'PASSED, FAILED or UNKNOWN (smartctl gave no overall assessment).' }),
  capacity_bytes: Nullable(Type.Integer()),
  used_bytes: Nullable(Type.Integer()),
  used_percent: Nullable(Type.Number()),
  mount_point: Nullable(Type.String()),
  attributes: Type.Array(
    Type.Object({
      id: Type.Integer(),
      name: Type.String(),
      value: Type.Integer(),
      worst: Type.Integer(),
      threshold: Type.Integer(),
      raw: Type.String(),
      status: Type.String(),
    }),
  ),
});

export const SmartStatus = Type.Object({
  checked_at: Type.String({ format: 'date-time' }),
  devices: Type.Array(SmartDevice),
  available: Type.Boolean({ description: 'false when smartctl is not installed or failed: devices is then empty.' }),
  reason: Type.Optional(Type.String()),
});
