/** The stack config as the Pulumi engine hands it to the program: every `baluhost:*` key, validated at once. */
import * as pulumi from '@pulumi/pulumi';
import { CONFIG_NAMESPACE, parseStackConfig } from './load-stack-config.js';
import type { StackConfig } from './stack-config.schema.js';

/** Secret keys, read with requireSecret and never validated as plain config. */
export const SECRET_KEYS = ['sshPrivateKey', 'secretKey', 'sentryDsn', 'adminPassword'] as const;

export interface StackSecrets {
  sshPrivateKey: pulumi.Output<string>;
  secretKey: pulumi.Output<string>;
  sentryDsn: pulumi.Output<string> | undefined;
  /** The first admin's password; when unset the program generates one. */
  adminPassword: pulumi.Output<string> | undefined;
}

export function readPulumiStackConfig(): { config: StackConfig; secrets: StackSecrets } {
  const sections: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(pulumi.runtime.allConfig())) {
    if (!key.startsWith(`${CONFIG_NAMESPACE}:`)) continue;
    const name = key.slice(CONFIG_NAMESPACE.length + 1);
    if ((SECRET_KEYS as readonly string[]).includes(name)) continue;
    sections[name] = parseValue(raw);
  }
  const config = parseStackConfig(sections, `stack ${pulumi.getStack()}`);
  const cfg = new pulumi.Config(CONFIG_NAMESPACE);
  return {
    config,
    secrets: {
      sshPrivateKey: cfg.requireSecret('sshPrivateKey'),
      secretKey: cfg.requireSecret('secretKey'),
      sentryDsn: cfg.getSecret('sentryDsn'),
      adminPassword: cfg.getSecret('adminPassword'),
    },
  };
}

/** Structured values arrive as JSON text, plain strings as themselves. */
function parseValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}
