/** The policy pack's rules, called with fake resources and with the resources the real program registers. */
import type { PolicyResource, ResourceValidationArgs, ResourceValidationPolicy, StackValidationPolicy } from '@pulumi/policy';
import { describe, expect, it } from 'vitest';
import { containerHygiene, databaseNotPublic, noPublicPorts, noSecretsInCommands, pinnedHostKeys } from '../../stacks/policy/policies.js';
import { runProgram } from '../helpers/pulumi-program.js';
import { sectionsWith } from '../helpers/stack-configs.js';

const HOST_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIInZ2C+aiWgwJKHjsz460HngGXs3yKPzHvmeI9LoGy1o';

function violations(policy: ResourceValidationPolicy, type: string, props: Record<string, unknown>, name = 'r'): string[] {
  const found: string[] = [];
  const validate = policy.validateResource as (args: ResourceValidationArgs, report: (m: string) => void) => void;
  validate({ type, props, name, urn: `urn:${name}`, opts: {} as never, stackTags: new Map() } as unknown as ResourceValidationArgs, (m) =>
    found.push(m),
  );
  return found;
}

function stackViolations(
  policy: StackValidationPolicy,
  resources: { type: string; name: string; props: Record<string, unknown> }[],
): string[] {
  const found: string[] = [];
  const validate = policy.validateStack as unknown as (
    args: { resources: PolicyResource[]; stackTags: Map<string, string> },
    report: (m: string) => void,
  ) => void;
  validate(
    { resources: resources.map((r) => ({ ...r, urn: `urn:${r.name}`, opts: {} })) as unknown as PolicyResource[], stackTags: new Map() },
    (m) => found.push(m),
  );
  return found;
}

const goodContainer = {
  name: 'baluhost-app-blue',
  image: 'x',
  restart: 'unless-stopped',
  logOpts: { 'max-size': '20m' },
  healthcheck: { tests: ['CMD', 'true'] },
  ports: [{ internal: 8000, external: 8001, ip: '127.0.0.1' }],
};
const CONTAINER = 'docker:index/container:Container';

describe('policy rules on fake resources', () => {
  it('container hygiene: restart policy, bounded logs, health check', () => {
    expect(violations(containerHygiene, CONTAINER, goodContainer)).toEqual([]);
    expect(violations(containerHygiene, CONTAINER, { ...goodContainer, restart: 'no' })).toEqual([
      expect.stringContaining('restart policy'),
    ]);
    expect(violations(containerHygiene, CONTAINER, { ...goodContainer, logOpts: {} })).toEqual([expect.stringContaining('max-size')]);
    expect(violations(containerHygiene, CONTAINER, { ...goodContainer, healthcheck: undefined })).toEqual([
      expect.stringContaining('healthcheck'),
    ]);
    expect(violations(containerHygiene, 'docker:index/network:Network', {})).toEqual([]);
  });

  it('no public ports: loopback only', () => {
    expect(violations(noPublicPorts, CONTAINER, goodContainer)).toEqual([]);
    expect(violations(noPublicPorts, CONTAINER, { ...goodContainer, ports: [{ internal: 8000, external: 8001 }] })).toEqual([
      expect.stringContaining('0.0.0.0 (all addresses)'),
    ]);
    expect(
      violations(noPublicPorts, CONTAINER, { ...goodContainer, ports: [{ internal: 8000, external: 8001, ip: '192.168.1.20' }] }),
    ).toHaveLength(1);
  });

  it('the database publishes nothing but loopback', () => {
    const db = { ...goodContainer, name: 'baluhost-postgres', ports: [] };
    expect(violations(databaseNotPublic, CONTAINER, db)).toEqual([]);
    expect(violations(databaseNotPublic, CONTAINER, { ...db, ports: [{ internal: 5432, external: 5432, ip: '0.0.0.0' }] })).toEqual([
      expect.stringContaining('database port 5432'),
    ]);
    expect(violations(databaseNotPublic, CONTAINER, { ...db, ports: [{ internal: 5432, external: 15432, ip: '127.0.0.1' }] })).toEqual([]);
  });

  it('pinned host keys on every remote resource and on Docker over SSH', () => {
    expect(violations(pinnedHostKeys, 'command:remote:Command', { connection: { host: 'nas', hostKey: HOST_KEY } })).toEqual([]);
    expect(violations(pinnedHostKeys, 'command:remote:Command', { connection: { host: 'nas' } })).toEqual([
      expect.stringContaining('no pinned hostKey'),
    ]);
    expect(violations(pinnedHostKeys, 'command:remote:CopyToRemote', { connection: { host: 'nas', hostKey: '' } })).toHaveLength(1);
    expect(
      violations(pinnedHostKeys, 'pulumi:providers:docker', { host: 'ssh://u@nas:22', sshOpts: ['-o', 'StrictHostKeyChecking=no'] }),
    ).toHaveLength(1);
  });

  it('no secret in a command string, known by value or by shape', () => {
    const password = 'Sup3rSecretPassw0rd';
    const base = [
      { type: 'random:index/randomPassword:RandomPassword', name: 'pw', props: { result: password } },
      { type: CONTAINER, name: 'app', props: { envs: ['BALUHOST_SECRET_KEY=app-key-value-123456', 'NODE_ENV=production'] } },
    ];
    expect(
      stackViolations(noSecretsInCommands, [...base, { type: 'command:remote:Command', name: 'ok', props: { create: 'echo hello' } }]),
    ).toEqual([]);
    expect(
      stackViolations(noSecretsInCommands, [
        ...base,
        { type: 'command:remote:Command', name: 'leak', props: { create: `psql -c "alter user x password '${password}'"` } },
      ]),
    ).toEqual([expect.stringContaining('leak: its create command contains a secret')]);
    expect(
      stackViolations(noSecretsInCommands, [
        ...base,
        { type: 'command:remote:Command', name: 'leak2', props: { update: 'echo app-key-value-123456' } },
      ]),
    ).toHaveLength(1);
    expect(
      stackViolations(noSecretsInCommands, [
        { type: 'command:remote:Command', name: 'shape', props: { create: 'DATABASE_URL=postgres://u:p4ss@db/x node migrate' } },
      ]),
    ).toHaveLength(1);
  });
});

describe("policy rules on the program's own resources", () => {
  it('the dev-like stack passes every rule', async () => {
    const run = await runProgram(sectionsWith({}));
    const resources = run.resources.map((r) => ({ type: r.type, name: r.name, props: r.inputs }));
    for (const policy of [containerHygiene, noPublicPorts, databaseNotPublic, pinnedHostKeys]) {
      for (const r of resources) expect(violations(policy, r.type, r.props, r.name), `${policy.name} on ${r.name}`).toEqual([]);
    }
    // Policies see secrets in plain text; RandomPassword's result comes from the mock's state, so add it by value.
    expect(
      stackViolations(noSecretsInCommands, [
        ...resources,
        { type: 'random:index/randomPassword:RandomPassword', name: 'pw', props: { result: 'MockDbPassword0123456789abcdefXY' } },
      ]),
    ).toEqual([]);
  });
});
