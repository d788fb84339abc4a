/**
 * BaluHost's policy rules, as plain functions so tests can call them with fake resources. The
 * policy pack (index.ts) wraps them for `pulumi preview --policy-pack stacks/policy`.
 */
import type {
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from '@pulumi/policy';

const CONTAINER = 'docker:index/container:Container';
const REMOTE_TYPES = ['command:remote:Command', 'command:remote:CopyToRemote'];
const COMMAND_FIELDS = ['create', 'update', 'delete'] as const;
const LOOPBACK = ['127.0.0.1', '::1'];
/** Env entries that hold secrets; their values must never appear in a command string. */
const SECRET_ENV = /^(DATABASE_URL|BALUHOST_SECRET_KEY|SENTRY_DSN|POSTGRES_PASSWORD|[A-Z_]*(PASSWORD|SECRET|TOKEN)[A-Z_]*)=(.+)$/;
/** What a secret looks like when it is not known by value. */
const SECRET_SHAPES = [
  /postgres(ql)?:\/\/[^:\s/]+:[^@\s]+@/,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /\b(BALUHOST_SECRET_KEY|POSTGRES_PASSWORD|DATABASE_URL)=\S/,
];

export const containerHygiene: ResourceValidationPolicy = {
  name: 'baluhost-container-hygiene',
  description: 'Every container restarts on its own, bounds its logs and has a health check.',
  enforcementLevel: 'mandatory',
  validateResource(args: ResourceValidationArgs, report: ReportViolation) {
    if (args.type !== CONTAINER) return;
    const props = args.props;
    if (!props['restart'] || props['restart'] === 'no')
      report(`${args.name}: set a restart policy (unless-stopped) so it comes back after a NAS reboot`);
    if (!field(props, 'logOpts', 'max-size')) report(`${args.name}: set logOpts max-size; unbounded json logs fill the NAS's disk`);
    const tests = field(props, 'healthcheck', 'tests');
    if (!Array.isArray(tests) || tests.length === 0) report(`${args.name}: add a healthcheck`);
  },
};

export const noPublicPorts: ResourceValidationPolicy = {
  name: 'baluhost-no-public-ports',
  description: 'Containers publish ports on loopback only; nginx on the host is the one public entry point.',
  enforcementLevel: 'mandatory',
  validateResource(args, report) {
    if (args.type !== CONTAINER) return;
    for (const port of (args.props['ports'] ?? []) as { internal: number; external?: number; ip?: string }[]) {
      if (!LOOPBACK.includes(port.ip ?? '0.0.0.0'))
        report(
          `${args.name}: port ${port.external ?? port.internal} is published on ${port.ip ?? '0.0.0.0 (all addresses)'}; publish on 127.0.0.1 only`,
        );
    }
  },
};

export const databaseNotPublic: ResourceValidationPolicy = {
  name: 'baluhost-database-not-public',
  description: 'PostgreSQL has no port reachable from outside the NAS.',
  enforcementLevel: 'mandatory',
  validateResource(args, report) {
    if (args.type !== CONTAINER || !String(args.props['image'] ?? '').length) return;
    const isDatabase =
      args.props['name'] === 'baluhost-postgres' ||
      ((args.props['ports'] ?? []) as { internal: number }[]).some((p) => p.internal === 5432);
    if (!isDatabase) return;
    for (const port of (args.props['ports'] ?? []) as { external?: number; ip?: string }[]) {
      if (port.ip !== '127.0.0.1')
        report(`${args.name}: the database port ${port.external ?? 5432} must be bound to 127.0.0.1 or not published`);
    }
  },
};

export const pinnedHostKeys: ResourceValidationPolicy = {
  name: 'baluhost-pinned-host-keys',
  description: 'Every SSH connection verifies the NAS against its pinned host key.',
  enforcementLevel: 'mandatory',
  validateResource(args, report) {
    if (REMOTE_TYPES.includes(args.type)) {
      const hostKey = field(args.props, 'connection', 'hostKey');
      if (typeof hostKey !== 'string' || !/^(ssh-|ecdsa-)\S+ \S+/.test(hostKey))
        report(`${args.name}: its SSH connection has no pinned hostKey, so any machine answering at that address would be trusted`);
    }
    if (args.type === 'pulumi:providers:docker' && String(args.props['host'] ?? '').startsWith('ssh://')) {
      const opts = listProp(args.props['sshOpts']).join(' ');
      if (!opts.includes('StrictHostKeyChecking=yes') || !opts.includes('UserKnownHostsFile='))
        report(`${args.name}: Docker over SSH must use StrictHostKeyChecking=yes with the pinned known_hosts file`);
    }
  },
};

export const noSecretsInCommands: StackValidationPolicy = {
  name: 'baluhost-no-secrets-in-commands',
  description: 'No remote command string contains a secret: secrets travel on stdin or in 0600 files.',
  enforcementLevel: 'mandatory',
  validateStack(args: StackValidationArgs, report: ReportViolation) {
    const secrets = new Set<string>();
    for (const resource of args.resources) {
      if (resource.type === 'random:index/randomPassword:RandomPassword' && typeof resource.props['result'] === 'string')
        secrets.add(resource.props['result']);
      for (const entry of listProp(resource.props['envs'])) {
        const match = SECRET_ENV.exec(entry);
        if (match?.[3]) secrets.add(match[3]);
      }
    }
    for (const resource of args.resources.filter((r) => r.type === 'command:remote:Command')) {
      for (const field of COMMAND_FIELDS) {
        const text: unknown = resource.props[field];
        if (typeof text !== 'string') continue;
        const leaked = [...secrets].some((s) => s.length >= 8 && text.includes(s)) || SECRET_SHAPES.some((shape) => shape.test(text));
        if (leaked) report(`${resource.name}: its ${field} command contains a secret; pass it on stdin instead`, resource.urn);
      }
    }
  },
};

/** Provider inputs reach policies as JSON text; resource inputs as arrays. */
/** A nested input of a resource, as untyped as the policy engine hands it over. */
function field(value: unknown, ...keys: string[]): unknown {
  let current = value;
  for (const key of keys) current = current !== null && typeof current === 'object' ? (current as Record<string, unknown>)[key] : undefined;
  return current;
}

function listProp(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value !== 'string') return [];
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) ? parsed.map(String) : [value];
  } catch {
    return [value];
  }
}

export const BALUHOST_POLICIES = [containerHygiene, noPublicPorts, databaseNotPublic, pinnedHostKeys, noSecretsInCommands];
