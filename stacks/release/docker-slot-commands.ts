/** SlotCommands for Docker slots on a NAS: backups and restores run inside the serving slot's container. */
import { preDeployBackupScript, q, script } from '../remote/index.js';
import { CONTAINER_APP_DIR, CONTAINER_PATHS, SLOTS, slotContainerName } from '../../templates/index.js';
import type { SlotCommands } from './release-context.js';

export const dockerSlotCommands: SlotCommands = {
  // Either running slot can take it (both share database and storage); a fixed order keeps the
  // script identical across slot flips, so Pulumi never re-runs the backup for a flip.
  backup: (config) =>
    preDeployBackupScript({
      containers: SLOTS.map(slotContainerName),
      outDir: CONTAINER_PATHS.backups,
      keepLast: config.backups.keepLast,
      keepDays: config.backups.keepDays,
    }),
  restore: (config, file) =>
    script([
      `docker exec ${q(slotContainerName(config.app.activeSlot))} node ${q(`${CONTAINER_APP_DIR}/dist/scripts/restore-database.js`)} --backup ${q(file)} --yes`,
    ]),
};
