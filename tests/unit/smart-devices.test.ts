import { describe, expect, it } from 'vitest';
import { toSmartDevice } from '../../app/src/lib/smart-devices.js';
import { isWholeDisk, partitionsOf, parsePartitions } from '../../app/src/lib/proc-parsers.js';

// The parts of `smartctl --all --json /dev/sda` (smartmontools 7.3) the web client shows.
const SATA_DISK = {
  device: { name: '/dev/sda', type: 'sat' },
  model_name: 'WDC WD40EFRX-68N32N0',
  serial_number: 'WD-WCC7K1234567',
  user_capacity: { blocks: 7814037168, bytes: 4000787030016 },
  smart_status: { passed: true },
  temperature: { current: 34 },
  ata_smart_attributes: {
    table: [
      { id: 5, name: 'Reallocated_Sector_Ct', value: 200, worst: 200, thresh: 140, when_failed: '', raw: { value: 0, string: '0' } },
      { id: 197, name: 'Current_Pending_Sector', value: 100, worst: 100, thresh: 0, when_failed: 'now', raw: { value: 8, string: '8' } },
    ],
  },
};

describe('toSmartDevice', () => {
  it("maps smartctl's report to the client's device", () => {
    expect(toSmartDevice(SATA_DISK, '/dev/sda')).toEqual({
      name: '/dev/sda',
      model: 'WDC WD40EFRX-68N32N0',
      serial: 'WD-WCC7K1234567',
      temperature: 34,
      status: 'PASSED',
      capacity_bytes: 4000787030016,
      used_bytes: null,
      used_percent: null,
      mount_point: null,
      attributes: [
        { id: 5, name: 'Reallocated_Sector_Ct', value: 200, worst: 200, threshold: 140, raw: '0', status: 'OK' },
        { id: 197, name: 'Current_Pending_Sector', value: 100, worst: 100, threshold: 0, raw: '8', status: 'FAILING' },
      ],
    });
  });

  it("says FAILED or UNKNOWN in smartctl's words, and keeps the scanned name when smartctl could not read the disk", () => {
    expect(toSmartDevice({ ...SATA_DISK, smart_status: { passed: false } }, '/dev/sda').status).toBe('FAILED');
    expect(toSmartDevice({ error: 'Command failed' }, '/dev/sdz')).toMatchObject({
      name: '/dev/sdz',
      model: 'unknown',
      status: 'UNKNOWN',
      temperature: null,
      attributes: [],
    });
  });
});

describe('block devices', () => {
  it('knows whole disks from partitions, loop, md and dm devices', () => {
    expect(['sda', 'vdb', 'nvme0n1', 'mmcblk0', 'xvda'].every(isWholeDisk)).toBe(true);
    expect(['sda1', 'nvme0n1p1', 'loop0', 'md127', 'dm-0', 'sr0', 'mmcblk0p1'].some(isWholeDisk)).toBe(false);
  });

  it('finds the partitions of a disk, and sizes from /proc/partitions in bytes', () => {
    const devices = parsePartitions(
      'major minor  #blocks  name\n\n   8  0  100 sda\n   8  1  60 sda1\n   8  10 40 sda10\n 259 0 50 nvme0n1\n 259 1 49 nvme0n1p1\n   8 16 7 sdab\n',
    );
    expect(devices[0]).toEqual({ name: 'sda', sizeBytes: 102400 });
    expect(partitionsOf('sda', devices)).toEqual(['sda1', 'sda10']);
    expect(partitionsOf('nvme0n1', devices)).toEqual(['nvme0n1p1']);
  });
});
