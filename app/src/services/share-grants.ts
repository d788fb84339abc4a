import type { Clock, Repositories, SharePermission } from '../repositories/index.js';

/** A file as grants see it: whose it is, and its id with its folders' ids (a grant on a folder covers what is inside). */
export interface GrantTarget {
  ownerId: number;
  fileIds: number[];
}

// A chain of re-shares longer than this is refused rather than walked: it also ends any cycle.
const MAX_CHAIN = 8;

/**
 * Whether a user holds a right on a file through user shares. A share counts only while whoever
 * granted it could grant it now: an active account that owns the file, is an admin, or itself holds
 * that right and `can_share` through shares that still count. Revoking a share or disabling an
 * account therefore ends every share made through it, with nothing to clean up.
 */
export function createShareGrants(deps: { repos: Pick<Repositories, 'shares' | 'users'>; clock: Clock }) {
  const { repos, clock } = deps;

  async function holds(userId: number, target: GrantTarget, permission: SharePermission, path: number[]): Promise<boolean> {
    if (path.includes(userId) || path.length >= MAX_CHAIN) return false;
    const granters = await repos.shares.grantersOf(userId, target.fileIds, permission, clock.now());
    for (const granterId of granters) if (await mayGive(granterId, target, permission, [...path, userId])) return true;
    return false;
  }

  async function mayGive(userId: number, target: GrantTarget, permission: SharePermission, path: number[]): Promise<boolean> {
    const user = await repos.users.findById(userId);
    if (!user?.isActive) return false;
    if (user.id === target.ownerId || user.role === 'admin') return true;
    return (
      (await holds(userId, target, 'can_share', path)) && (permission === 'can_share' || (await holds(userId, target, permission, path)))
    );
  }

  return {
    /** Does `userId` hold `permission` on the target through shares that still count? (Owners and admins are decided by the caller.) */
    holds: (userId: number, target: GrantTarget, permission: SharePermission) => holds(userId, target, permission, []),
    /** Could `userId` grant `permission` on the target now (and so keep a share or link it made working)? */
    mayGive: (userId: number, target: GrantTarget, permission: SharePermission) => mayGive(userId, target, permission, []),
  };
}

export type ShareGrants = ReturnType<typeof createShareGrants>;
