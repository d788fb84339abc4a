/**
 * The container names an operator types from the docs are the ones the stack creates: every
 * `docker <command> … baluhost-…` in docs/ and the README names a container of the program.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATABASE_CONTAINER } from '../../stacks/components/database.js';
import { SLOTS, slotContainerName } from '../../templates/index.js';

const ROOT = resolve(import.meta.dirname, '../..');
const DOCS = [join(ROOT, 'README.md'), ...readdirSync(join(ROOT, 'docs')).map((f) => join(ROOT, 'docs', f))];
const CONTAINERS = new Set([DATABASE_CONTAINER, ...SLOTS.map(slotContainerName)]);

/** Container names in `docker logs|exec|inspect|stop|start|restart|rm [flags] NAME` commands. */
export function dockerTargets(text: string): string[] {
  return [
    ...text.matchAll(
      /docker (?:logs|exec|inspect|stop|start|restart|rm|top|stats|port|attach|cp)((?: -{1,2}[\w-]+(?:=\S+)?)*) (baluhost[\w.-]*)/g,
    ),
  ].map((m) => m[2] as string);
}

describe('container names the docs quote', () => {
  it('finds docker commands in the docs at all', () => {
    expect(DOCS.flatMap((f) => dockerTargets(readFileSync(f, 'utf8'))).length).toBeGreaterThan(3);
  });

  it.each(DOCS.map((f) => [f.slice(ROOT.length + 1), f]))(
    '%s names only containers the stack (or the doc itself) creates',
    (_name, file) => {
      const text = readFileSync(file, 'utf8');
      // A guide that starts a container by hand (`docker run … --name NAME`) may then name it.
      const created = new Set([...text.matchAll(/docker run [^\n]*--name (\S+)/g)].map((m) => m[1] as string));
      const unknown = dockerTargets(text).filter((name) => !CONTAINERS.has(name) && !created.has(name));
      expect(unknown).toEqual([]);
    },
  );
});
