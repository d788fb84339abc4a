/**
 * Reads and validates one stack's config. Every bad key is reported at once, with its path as
 * `pulumi config set --path` spells it; nothing is rendered or pushed when any is wrong.
 */
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../../app/src/errors/index.js';
import { checkStackRules } from './stack-config.rules.js';
import { PATTERN_DESCRIPTIONS, STACK_SECTIONS, StackConfigSchema, type StackConfig } from './stack-config.schema.js';

export const CONFIG_NAMESPACE = 'baluhost';

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false, verbose: true });
addFormats.default(ajv, ['email', 'uri', 'hostname']);
ajv.addFormat(
  'hostname-or-ip',
  (value: string) =>
    isIP(value) !== 0 ||
    /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(value),
);
const validate = ajv.compile(StackConfigSchema);

/** What a `Pulumi.<stack>.yaml` holds for this project: plain sections, and the names of secret keys. */
export interface StackFile {
  sections: Record<string, unknown>;
  secretKeys: string[];
}

/** Validates `baluhost:*` sections (prefix already removed) into a frozen config, or throws ConfigError naming every bad key. */
export function parseStackConfig(sections: Record<string, unknown>, source = 'stack config'): StackConfig {
  const issues: string[] = [];
  for (const key of Object.keys(sections)) {
    if (!(STACK_SECTIONS as string[]).includes(key))
      issues.push(`${CONFIG_NAMESPACE}:${key}: unknown key (expected one of ${STACK_SECTIONS.join(', ')})`);
  }
  const candidate = structuredClone(Object.fromEntries(Object.entries(sections).filter(([k]) => (STACK_SECTIONS as string[]).includes(k))));
  if (!validate(candidate)) issues.push(...describeSchemaErrors(validate.errors ?? []));
  else issues.push(...checkStackRules(candidate as StackConfig).map((r) => `${CONFIG_NAMESPACE}:${r.path}: ${r.message}`));
  if (issues.length) throw new ConfigError(issues.map((i) => `${source}: ${i}`));
  return deepFreeze(candidate as StackConfig);
}

/** Reads `Pulumi.<stack>.yaml` from `projectDir`; secure values are listed by name, never read. */
export async function readStackFile(projectDir: string, stack: string): Promise<StackFile> {
  if (!/^[A-Za-z0-9_.-]+$/.test(stack))
    throw new ConfigError([`stack name ${JSON.stringify(stack)}: only letters, digits, '.', '_' and '-' are allowed`]);
  const file = join(projectDir, `Pulumi.${stack}.yaml`);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError([`${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such stack file' : (err as Error).message}`]);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError([`${file}: not valid YAML: ${(err as Error).message.split('\n')[0]}`]);
  }
  const config = (doc as { config?: unknown } | null)?.config ?? {};
  if (typeof config !== 'object' || config === null || Array.isArray(config))
    throw new ConfigError([`${file}: \`config\` must be a mapping`]);
  const sections: Record<string, unknown> = {};
  const secretKeys: string[] = [];
  for (const [key, value] of Object.entries(config)) {
    if (!key.startsWith(`${CONFIG_NAMESPACE}:`)) continue;
    const name = key.slice(CONFIG_NAMESPACE.length + 1);
    if (isSecure(value)) secretKeys.push(name);
    else sections[name] = value;
  }
  return { sections, secretKeys };
}

export async function loadStackConfig(projectDir: string, stack: string): Promise<{ config: StackConfig; secretKeys: string[] }> {
  const file = await readStackFile(projectDir, stack);
  return { config: parseStackConfig(file.sections, `Pulumi.${stack}.yaml`), secretKeys: file.secretKeys };
}

function isSecure(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'secure' in value;
}

function describeSchemaErrors(errors: ErrorObject[]): string[] {
  const byPath = new Map<string, string[]>();
  for (const error of errors) {
    let path = error.instancePath.split('/').slice(1).join('.');
    let message: string;
    switch (error.keyword) {
      case 'required':
        path = [path, error.params['missingProperty']].filter(Boolean).join('.');
        message = 'is required';
        break;
      case 'additionalProperties': {
        const name = error.params['additionalProperty'] as string;
        path = [path, name].filter(Boolean).join('.');
        const namePattern = Object.keys((error.parentSchema?.['patternProperties'] as object | undefined) ?? {})[0];
        message = namePattern ? `${JSON.stringify(name)} is not ${PATTERN_DESCRIPTIONS[namePattern] ?? 'a valid name'}` : 'unknown key';
        break;
      }
      case 'enum':
        message = `must be one of ${(error.params['allowedValues'] as string[]).map((v) => JSON.stringify(v)).join(', ')}`;
        break;
      case 'pattern':
        message = `${JSON.stringify(error.data)} is not ${PATTERN_DESCRIPTIONS[error.params['pattern'] as string] ?? `of the form ${error.params['pattern']}`}`;
        break;
      default:
        message = `${error.message ?? 'is invalid'}${'data' in error && typeof error.data !== 'object' ? ` (got ${JSON.stringify(error.data)})` : ''}`;
    }
    // The schema's sections are Pulumi config keys; the rest is a --path inside one.
    const [section, ...rest] = path.split('.');
    const key = `${CONFIG_NAMESPACE}:${section ?? ''}${rest.length ? `.${rest.join('.')}` : ''}`;
    const list = byPath.get(key) ?? [];
    if (!list.includes(message)) list.push(message);
    byPath.set(key, list);
  }
  return [...byPath].map(([key, messages]) => `${key}: ${messages.join('; ')}`);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
