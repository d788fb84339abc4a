/**
 * Runs the Pulumi program under pulumi.runtime.setMocks (the engine cannot run here) and records
 * every registered resource: type, name, unwrapped inputs, which inputs were secret, its parent and
 * its dependencies (read off the monitor's register requests).
 */
import { createHash } from 'node:crypto';
import * as pulumi from '@pulumi/pulumi';
import { vi } from 'vitest';

const SECRET_SIG = '4dabf18193072939515e22adb298388d';

export interface Registered {
  type: string;
  name: string;
  urn: string;
  inputs: Record<string, unknown>;
  /** Dotted input paths whose value arrived as a secret. */
  secretPaths: string[];
  parent: string;
  dependencies: string[];
}

export interface ProgramRun {
  resources: Registered[];
  outputs: Record<string, unknown>;
  byName(name: string): Registered;
}

export const TEST_SECRETS = {
  sshPrivateKey: '-----BEGIN OPENSSH PRIVATE KEY-----\nmock-private-key-material\n-----END OPENSSH PRIVATE KEY-----',
  secretKey: 'mock-app-secret-key-0123456789abcdef0123456789',
  dbPassword: 'MockDbPassword0123456789abcdefXY',
  metricsToken: 'MockMetricsToken0123456789abcdefghijklmn',
};

function unwrap(value: unknown, path: string, secrets: string[]): unknown {
  if (Array.isArray(value)) return value.map((v, i) => unwrap(v, `${path}.${i}`, secrets));
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (SECRET_SIG in record) {
      secrets.push(path.replace(/^\./, ''));
      return unwrap(record['value'], path, []);
    }
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, unwrap(v, `${path}.${k}`, secrets)]));
  }
  return value;
}

const hash = (text: string) => createHash('sha256').update(text).digest('hex');

/** Loads the program fresh with `sections` as `baluhost:*` config plus the secrets, and waits for every registration. */
export async function runProgram(sections: Record<string, unknown>, stack = 'test'): Promise<ProgramRun> {
  vi.resetModules();
  const resources: Registered[] = [];
  const meta = new Map<string, { parent: string; dependencies: string[] }>();
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const secretPaths: string[] = [];
        const inputs = unwrap(args.inputs, '', secretPaths) as Record<string, unknown>;
        const key = `${args.type}::${args.name}`;
        resources.push({
          type: args.type,
          name: args.name,
          urn: key,
          inputs,
          secretPaths,
          parent: meta.get(key)?.parent ?? '',
          dependencies: meta.get(key)?.dependencies ?? [],
        });
        const state: Record<string, unknown> = { ...args.inputs };
        if (args.type === 'random:index/randomPassword:RandomPassword')
          state['result'] = args.name.endsWith('metrics-token') ? TEST_SECRETS.metricsToken : TEST_SECRETS.dbPassword;
        if (args.type === 'docker:index/remoteImage:RemoteImage') {
          const name = String(inputs['name']);
          state['imageId'] = `sha256:${hash(name)}`;
          state['repoDigest'] = name.includes('@') ? name : `${name.replace(/:[^:/]+$/, '')}@sha256:${hash(`digest:${name}`)}`;
        }
        if (args.type === 'command:remote:Command') Object.assign(state, { stdout: '', stderr: '' });
        return { id: args.custom === false ? undefined : `${args.name}-id`, state };
      },
      call: () => ({}),
    },
    'baluhost',
    stack,
    false,
  );
  // Parent and dependencies are not passed to mocks: read them off the register request.
  const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource: (req: RegisterRequest, cb: unknown) => unknown };
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    const parentUrn = req.getParent();
    meta.set(`${req.getType()}::${req.getName()}`, {
      parent: parentUrn.split('::').pop() ?? '',
      dependencies: req.getDependenciesList().map((u) => u.split('::').pop() ?? u),
    });
    return original(req, cb);
  };
  const config: Record<string, string> = {};
  for (const [key, value] of Object.entries(sections)) config[`baluhost:${key}`] = JSON.stringify(value);
  config['baluhost:sshPrivateKey'] = TEST_SECRETS.sshPrivateKey;
  config['baluhost:secretKey'] = TEST_SECRETS.secretKey;
  pulumi.runtime.setAllConfig(config, ['baluhost:sshPrivateKey', 'baluhost:secretKey']);

  const program = (await import('../../stacks/index.js')) as Record<string, unknown>;
  const outputs: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(program)) {
    outputs[name] = pulumi.Output.isInstance(value)
      ? await resolveOutput(value)
      : value && typeof value === 'object'
        ? await resolveObject(value as Record<string, unknown>)
        : value;
  }
  // Registrations finish asynchronously: wait until the count stops moving.
  let count = -1;
  while (count !== resources.length) {
    count = resources.length;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    resources,
    outputs,
    byName(name) {
      const found = resources.find((r) => r.name === name);
      if (!found) throw new Error(`no resource named ${name}; have ${resources.map((r) => r.name).join(', ')}`);
      return found;
    },
  };
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getDependenciesList(): string[];
}

function resolveOutput(output: pulumi.Output<unknown>): Promise<{ value: unknown; secret: boolean }> {
  return new Promise((resolve) => {
    void pulumi.all([output, pulumi.isSecret(output)]).apply(([value, secret]) => resolve({ value, secret }));
  });
}

async function resolveObject(value: Record<string, unknown>): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = pulumi.Output.isInstance(v) ? await resolveOutput(v) : v;
  return out;
}
