/**
 * The command an operator types for an admin task, as error messages and hints name it. From a
 * checkout (TypeScript run by tsx) that is an npm script; from a build (the image, or a bare-metal
 * install of dist/) it is the `baluhost` command, which the image puts on PATH.
 */
export type OperatorTask = 'migrate' | 'backup' | 'restore' | 'reset-password' | 'reconcile';

const NPM_SCRIPTS: Record<OperatorTask, string> = {
  migrate: 'npm run db:migrate',
  backup: 'npm run backup:database --',
  restore: 'npm run restore:database --',
  'reset-password': 'npm run admin:reset-password --',
  reconcile: 'npm run files:reconcile --',
};

const fromBuild = !import.meta.url.endsWith('.ts');

export function operatorCommand(task: OperatorTask, args = ''): string {
  const base = fromBuild ? `baluhost ${task}` : NPM_SCRIPTS[task];
  return args ? `${base} ${args}` : base.replace(/ --$/, '');
}
