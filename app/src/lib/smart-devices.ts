/** One disk as BaluHost's web client shows it, from `smartctl --all --json` of that disk. */
export interface SmartDevice {
  name: string;
  model: string;
  serial: string;
  temperature: number | null;
  status: string;
  capacity_bytes: number | null;
  used_bytes: number | null;
  used_percent: number | null;
  mount_point: string | null;
  attributes: { id: number; name: string; value: number; worst: number; threshold: number; raw: string; status: string }[];
}

interface SmartctlJson {
  device?: { name?: string };
  model_name?: string;
  model_family?: string;
  serial_number?: string;
  temperature?: { current?: number };
  smart_status?: { passed?: boolean };
  user_capacity?: { bytes?: number };
  ata_smart_attributes?: {
    table?: {
      id?: number;
      name?: string;
      value?: number;
      worst?: number;
      thresh?: number;
      when_failed?: string;
      raw?: { string?: string };
    }[];
  };
  error?: string;
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/**
 * smartctl's own words: `PASSED`/`FAILED` from its overall assessment, `UNKNOWN` when it could not
 * give one (a USB bridge without SAT, a read error). Usage per disk is not known here: null.
 */
export function toSmartDevice(raw: unknown, scannedName: string): SmartDevice {
  const j = (raw ?? {}) as SmartctlJson;
  const passed = j.smart_status?.passed;
  return {
    name: j.device?.name ?? scannedName,
    model: j.model_name ?? j.model_family ?? 'unknown',
    serial: j.serial_number ?? 'unknown',
    temperature: typeof j.temperature?.current === 'number' ? j.temperature.current : null,
    status: passed === true ? 'PASSED' : passed === false ? 'FAILED' : 'UNKNOWN',
    capacity_bytes: typeof j.user_capacity?.bytes === 'number' ? j.user_capacity.bytes : null,
    used_bytes: null,
    used_percent: null,
    mount_point: null,
    attributes: (j.ata_smart_attributes?.table ?? []).map((a) => ({
      id: num(a.id),
      name: a.name ?? 'unknown',
      value: num(a.value),
      worst: num(a.worst),
      threshold: num(a.thresh),
      raw: a.raw?.string ?? '',
      status: a.when_failed ? 'FAILING' : 'OK',
    })),
  };
}
