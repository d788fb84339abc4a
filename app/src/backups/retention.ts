/** Which backups to delete under a retention policy. Pure: the caller lists and deletes. */
export interface RetentionPolicy {
  keepLast?: number;
  keepDays?: number;
}

export interface BackupEntry {
  file: string;
  createdAt: Date;
}

/**
 * Keeps the newest `keepLast` backups and every backup younger than `keepDays`; a backup is deleted
 * only when no rule keeps it. The newest backup is always kept, so retention can never empty the folder.
 */
export function backupsToDelete(entries: BackupEntry[], policy: RetentionPolicy, now: Date): string[] {
  if (policy.keepLast === undefined && policy.keepDays === undefined) return [];
  const newestFirst = [...entries].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  const cutoff = policy.keepDays === undefined ? null : now.getTime() - policy.keepDays * 86_400_000;
  return newestFirst
    .filter((entry, index) => {
      if (index === 0) return false;
      const keptByCount = policy.keepLast !== undefined && index < policy.keepLast;
      const keptByAge = cutoff !== null && entry.createdAt.getTime() >= cutoff;
      return !keptByCount && !keptByAge;
    })
    .map((e) => e.file);
}
