/** Stack configs for tests: a valid base (a LAN NAS) and deep overrides, validated by the real parser. */
import { parseStackConfig, type StackConfig } from '../../stacks/config/index.js';

export const TEST_HOST_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIInZ2C+aiWgwJKHjsz460HngGXs3yKPzHvmeI9LoGy1o';

export function baseSections(): Record<string, unknown> {
  return {
    host: { address: '192.168.1.20', sshUser: 'baluhost', sshPort: 22, hostKey: TEST_HOST_KEY },
    domains: ['nas.home.arpa'],
    tls: { mode: 'selfsigned' },
    app: { slots: { blue: 8001, green: 8002 }, activeSlot: 'blue', maxUploadMb: 64 },
    firewall: { sshAllowedRanges: ['192.168.1.0/24'], webAllowedRanges: ['192.168.1.0/24'] },
  };
}

type Overrides = Record<string, unknown>;

/** Merges `overrides` into the base sections; a value of `undefined` deletes the key. */
export function sectionsWith(overrides: Overrides, base: Record<string, unknown> = baseSections()): Record<string, unknown> {
  const out: Record<string, unknown> = structuredClone(base);
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete out[key];
    else if (isPlainObject(value) && isPlainObject(out[key])) out[key] = sectionsWith(value, out[key]);
    else out[key] = value;
  }
  return out;
}

export function stackConfig(overrides: Overrides = {}): StackConfig {
  return parseStackConfig(sectionsWith(overrides));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
