import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The NAS runs Docker, so BaluHost's units may require docker.service. This machine has only the
 * docker client and no docker.service, so systemd-analyze would refuse them for a reason the NAS never
 * has. A stand-in unit, found through SYSTEMD_UNIT_PATH (the trailing colon keeps the system's own
 * paths), lets the real verifier resolve the dependency as it would on the NAS.
 */
export async function nasUnitPath(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, 'docker.service'),
    '[Unit]\nDescription=Docker (stand-in for the NAS unit)\n\n[Service]\nExecStart=/bin/true\n',
  );
  return `${dir}:`;
}
