/**
 * Changes a stack's `Pulumi.<stack>.yaml` in place, keeping comments and `secure:` values: how
 * deploy, rollback and promote record the slot images, the active slot and the release.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { CONFIG_NAMESPACE } from './load-stack-config.js';

/** `path` starts with the section: ['app', 'slotImages', 'green']. */
export type ConfigEdit = { path: string[]; value: unknown };

export function applyConfigEdits(yamlText: string, edits: ConfigEdit[]): string {
  const doc = parseDocument(yamlText);
  for (const edit of edits) {
    const [section, ...rest] = edit.path;
    if (!section) throw new Error('a config edit needs at least a section');
    doc.setIn(['config', `${CONFIG_NAMESPACE}:${section}`, ...rest], edit.value);
  }
  return doc.toString();
}

/** Writes through a temp file and a rename, so a crash never leaves half a stack file. */
export async function editStackFile(projectDir: string, stack: string, edits: ConfigEdit[]): Promise<void> {
  const file = join(projectDir, `Pulumi.${stack}.yaml`);
  const next = applyConfigEdits(await readFile(file, 'utf8'), edits);
  await writeFile(`${file}.tmp`, next);
  await rename(`${file}.tmp`, file);
}
