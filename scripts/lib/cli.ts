import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Bad command-line input: reported before anything is changed, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Strict parsing: unknown flags, missing values and stray positionals are errors that name the
 * flag, and `required` lists what must be there.
 */
export function parseCli<O extends Options>(argv: string[], options: O, usage: string, required: (keyof O & string)[] = []) {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv,
      options: { ...options, verbose: { type: 'boolean' }, help: { type: 'boolean' } },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    throw new UsageError(`${(err as Error).message.replace(/\. To specify.*$/, '')}\n${usage}`);
  }
  if (values['help']) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  const missing = required.filter((name) => values[name] === undefined);
  if (missing.length) throw new UsageError(`missing ${missing.map((m) => `--${m}`).join(', ')}\n${usage}`);
  return values as { [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : string } & { verbose?: boolean };
}

/** The one top-level catch every script ends in: `ERROR (Class): message`, stack only with --verbose. */
export function runCli(main: () => Promise<number | void>): void {
  main()
    .then((code) => {
      process.exitCode = code ?? 0;
    })
    .catch((err: unknown) => {
      const name = err instanceof Error ? err.name : 'Error';
      process.stderr.write(`ERROR (${name}): ${err instanceof Error ? err.message : String(err)}\n`);
      if (process.argv.includes('--verbose') && err instanceof Error) process.stderr.write(`${err.stack}\n`);
      process.exitCode = err instanceof UsageError ? 2 : 1;
    });
}

export function positiveInt(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) <= 0)
    throw new UsageError(`--${flag} must be a positive whole number (got ${JSON.stringify(value)})`);
  return Number(value);
}
