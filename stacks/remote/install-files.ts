/**
 * Installs staged files into place as one transaction: each file gets its mode and owner, then the
 * group's validation runs (e.g. `nginx -t`); if it fails every file is put back as it was and the
 * apply step (e.g. reload) never runs, so the old config keeps serving. Unchanged files change
 * nothing, and when nothing changed the apply step is skipped: a second run is a no-op.
 */
import { q, script } from './shell.js';

export interface StagedFile {
  /** Where CopyToRemote put the bytes (content-addressed, so an unchanged file is not re-sent). */
  staged: string;
  target: string;
  mode: string;
  owner: string;
  group: string;
}

export interface InstallGroup {
  /** Human name used in messages: "nginx", "systemd units". */
  name: string;
  files: StagedFile[];
  /** Runs after the files are in place; non-zero exit restores the previous files. */
  validate?: string;
  /** Runs only when at least one file changed and validation passed. */
  apply?: string;
}

export function installFilesScript(group: InstallGroup, options: { sudo?: boolean } = {}): string {
  return script(installFilesLines(group), options);
}

/** The script body, for callers that stage their own files first (the upstream switch). */
export function installFilesLines(group: InstallGroup): string[] {
  const lines = [
    `backup=$(mktemp -d)`,
    `trap 'rm -rf "$backup"' EXIT`,
    `changed=0`,
    `restore() {`,
    ...group.files.flatMap((f, i) => [
      `  if [ -e "$backup/${i}" ]; then mv -f "$backup/${i}" ${q(f.target)};`,
      `  elif [ -e "$backup/${i}.absent" ]; then rm -f ${q(f.target)}; fi`,
    ]),
    `}`,
  ];
  group.files.forEach((f, i) => {
    const target = q(f.target);
    lines.push(
      `if [ ! -f ${q(f.staged)} ]; then echo ${q(`${group.name}: staged file ${f.staged} for ${f.target} is missing`)} >&2; restore; exit 1; fi`,
      `if [ -f ${target} ] && cmp -s ${q(f.staged)} ${target} && [ "$(stat -c '%a %U %G' ${target})" = ${q(`${Number.parseInt(f.mode, 8).toString(8)} ${f.owner} ${f.group}`)} ]; then :; else`,
      `  if [ -e ${target} ]; then cp -p ${target} "$backup/${i}"; else touch "$backup/${i}.absent"; fi`,
      `  install -D -m ${q(f.mode)} -o ${q(f.owner)} -g ${q(f.group)} ${q(f.staged)} ${q(`${f.target}.baluhost-new`)}`,
      `  mv -f ${q(`${f.target}.baluhost-new`)} ${target}`,
      `  echo ${q(`${group.name}: installed ${f.target}`)}`,
      `  changed=1`,
      `fi`,
    );
  });
  lines.push(`if [ "$changed" = 0 ]; then echo ${q(`${group.name}: unchanged`)}; exit 0; fi`);
  if (group.validate) {
    lines.push(
      `if ! validation=$( { ${group.validate}; } 2>&1); then`,
      `  restore`,
      `  echo ${q(`${group.name}: validation failed (${group.validate}); the previous files were restored and nothing was reloaded:`)} >&2`,
      `  echo "$validation" >&2`,
      `  exit 1`,
      `fi`,
    );
  }
  if (group.apply) lines.push(group.apply, `echo ${q(`${group.name}: applied`)}`);
  return lines;
}
