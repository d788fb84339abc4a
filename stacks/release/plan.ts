/** A host-effects preview as Markdown for a pull-request comment: file diffs, image and slot changes, pending migrations. */
import type { StackConfig } from '../config/index.js';
import { diffFiles } from '../../templates/rendered-output.js';
import { SLOTS, hostLayout, renderHostFiles, type HostFile } from '../../templates/index.js';
import type { WebClientBundle } from './web-client-bundle.js';
import { webClientChange, webClientPlanLines } from './web-client-release.js';
import type { ReleaseHost } from './release-context.js';
import { fetchFilesScript } from './release-host-commands.js';

export async function fetchHostFiles(
  host: ReleaseHost,
  paths: string[],
): Promise<Pick<HostFile, 'path' | 'content' | 'mode' | 'owner' | 'group'>[]> {
  const result = await host.run(fetchFilesScript(paths, host.options));
  if (result.code !== 0) throw new Error(`fetching host files failed: ${result.stderr.trim()}`);
  const files: Pick<HostFile, 'path' | 'content' | 'mode' | 'owner' | 'group'>[] = [];
  const parts = result.stdout.split('=== baluhost-file ').slice(1);
  for (const part of parts) {
    const [path = '', body = ''] = part.split('\n');
    if (body.trim() !== 'MISSING')
      files.push({ path, content: Buffer.from(body.trim(), 'base64').toString('utf8'), mode: '', owner: '', group: '' });
  }
  return files;
}

export interface PlanInput {
  stack: string;
  desired: StackConfig;
  /** The config the host runs now (last release), if any. */
  current: StackConfig | null;
  /** Names of migrations the new image would apply (from `db-migrate status`), when known. */
  pendingMigrations: string[] | null;
  /** File-system root of the managed paths (`/` on a real NAS). */
  root?: string;
  /** The web client build `pulumi up` would serve (prepared from `webClient`), when it is set. */
  webClient?: WebClientBundle;
}

export async function planMarkdown(host: ReleaseHost, input: PlanInput): Promise<string> {
  const rendered = renderHostFiles(input.desired, input.root ?? '/');
  const live = await fetchHostFiles(
    host,
    rendered.map((f) => f.path),
  );
  // Compare content only: modes are not fetched, and the install step sets them anyway.
  const changes = diffFiles(
    live.map((f) => ({ ...f, mode: '', owner: '', group: '' })),
    rendered.map((f) => ({ ...f, mode: '', owner: '', group: '' })),
  ).filter((c) => c.kind !== 'removed');
  const lines = [`## BaluHost plan for \`${input.stack}\``, ''];
  const imageRows = SLOTS.map((slot) => {
    const before = input.current?.app.slotImages[slot] ?? input.current?.app.image ?? '(none)';
    const after = input.desired.app.slotImages[slot] ?? input.desired.app.image ?? '(built from Dockerfile)';
    return `| ${slot} | \`${before}\` | \`${after}\` | ${before === after ? 'unchanged' : '**changes**'} |`;
  });
  lines.push('### Images', '', '| slot | now | after | |', '|---|---|---|---|', ...imageRows, '');
  const fromSlot = input.current?.app.activeSlot ?? '(none)';
  lines.push(
    '### Traffic',
    '',
    fromSlot === input.desired.app.activeSlot
      ? `Stays on **${fromSlot}**.`
      : `Switches from **${fromSlot}** to **${input.desired.app.activeSlot}**.`,
    '',
  );
  lines.push(
    '### Database migrations',
    '',
    input.pendingMigrations === null
      ? 'Unknown (the host could not be asked).'
      : input.pendingMigrations.length
        ? input.pendingMigrations.map((m) => `- \`${m}\``).join('\n')
        : 'None pending.',
    '',
  );
  if (input.webClient)
    lines.push(...webClientPlanLines(await webClientChange(host, hostLayout(input.desired, input.root ?? '/'), input.webClient)));
  lines.push(`### Host files (${changes.length} of ${rendered.length} change)`, '');
  if (changes.length === 0) lines.push('No file changes.');
  for (const change of changes)
    lines.push(
      `<details><summary><code>${change.path}</code> — ${change.kind}</summary>`,
      '',
      '```diff',
      change.diff.trimEnd(),
      '```',
      '</details>',
      '',
    );
  return `${lines.join('\n')}\n`;
}
