/** Shell quoting for the scripts the stacks run on the NAS: every interpolated value goes through `q`. */

/** POSIX single-quoting: safe for any byte string except NUL (which no config value can hold). */
export function q(value: string | number): string {
  const text = String(value);
  if (text.includes('\0')) throw new Error('a shell argument cannot contain NUL');
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** A complete remote script: strict mode first, one command per line. `sudo` wraps it as a whole. */
export function script(lines: string[], options: { sudo?: boolean } = {}): string {
  const body = ['set -euo pipefail', ...lines].join('\n');
  return options.sudo ? `sudo -n bash -c ${q(body)}` : `bash -c ${q(body)}`;
}
