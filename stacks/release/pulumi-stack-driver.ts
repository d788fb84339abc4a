/**
 * The production StackDriver: config lives in `Pulumi.<stack>.yaml` (edited in place), `apply`
 * runs `pulumi up` through the Automation API. Needs the Pulumi CLI on the operator's machine.
 */
import { LocalWorkspace } from '@pulumi/pulumi/automation/index.js';
import type { StackConfig } from '../config/index.js';
import { loadStackConfig } from '../config/index.js';
import { editStackFile, type ConfigEdit } from '../config/stack-file-edit.js';
import type { ConfigChanges, StackDriver } from './release-context.js';

export function configEdits(changes: ConfigChanges): ConfigEdit[] {
  return [
    ...Object.entries(changes.slotImages ?? {}).map(([slot, image]) => ({ path: ['app', 'slotImages', slot], value: image })),
    ...(changes.activeSlot ? [{ path: ['app', 'activeSlot'], value: changes.activeSlot }] : []),
    ...(changes.release ? [{ path: ['app', 'release'], value: changes.release }] : []),
  ];
}

/** Every section of a config as edits (rollback restores a recorded config whole). */
export function wholeConfigEdits(config: StackConfig): ConfigEdit[] {
  return Object.entries(config).map(([section, value]) => ({ path: [section], value }));
}

export function pulumiStackDriver(projectDir: string, stackName: string, log: (line: string) => void = () => undefined): StackDriver {
  const up = async () => {
    const stack = await LocalWorkspace.selectStack({ stackName, workDir: projectDir });
    const result = await stack.up({ onOutput: (out) => log(out.trimEnd()) });
    if (result.summary.result !== 'succeeded') throw new Error(`pulumi up ${result.summary.result}`);
  };
  return {
    config: async () => (await loadStackConfig(projectDir, stackName)).config,
    async apply(changes) {
      await editStackFile(projectDir, stackName, configEdits(changes));
      await up();
    },
    async record(changes) {
      await editStackFile(projectDir, stackName, configEdits(changes));
    },
    async restore(config) {
      await editStackFile(projectDir, stackName, wholeConfigEdits(config));
      await up();
    },
  };
}

/** A stack's outputs (promote reads the source stack's tested images from them). */
export async function stackOutputs(projectDir: string, stackName: string): Promise<Record<string, unknown>> {
  const stack = await LocalWorkspace.selectStack({ stackName, workDir: projectDir });
  return Object.fromEntries(Object.entries(await stack.outputs()).map(([k, v]) => [k, v.value]));
}
