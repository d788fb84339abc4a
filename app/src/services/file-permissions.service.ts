import { ForbiddenError, ValidationError } from '../errors/index.js';
import { formatStoragePath } from '../lib/path-safety.js';
import type { Clock, Repositories, TransactionRunner } from '../repositories/index.js';
import type { Principal } from './auth.service.js';
import type { FileAccess } from './files.service.js';

export interface PermissionRule {
  user_id: number;
  can_view: boolean;
  can_edit: boolean;
  can_delete: boolean;
}

export interface PermissionsView {
  path: string;
  owner_id: number;
  rules: PermissionRule[];
}

/**
 * The permissions view of a file: the user shares on it, in the shape the web client edits. Only
 * the owner or an admin reads or replaces them.
 */
export function createFilePermissionsService(deps: {
  repos: Repositories;
  transaction: TransactionRunner;
  clock: Clock;
  access: FileAccess;
}) {
  const { repos, access } = deps;

  async function ownedLocation(principal: Principal, ownerId: number | undefined, segments: string[]) {
    const located = await access.locate(principal, ownerId, segments, 'can_read');
    if (located.owner.id !== principal.user.id && principal.user.role !== 'admin') {
      throw new ForbiddenError('Only the owner or an admin can see or change permissions', 'not_owner');
    }
    return located;
  }

  async function view(fileId: number, ownerId: number, segments: string[]): Promise<PermissionsView> {
    const shares = await repos.shares.listUserSharesForFile(fileId);
    return {
      path: formatStoragePath(segments),
      owner_id: ownerId,
      rules: shares.map((s) => ({ user_id: s.sharedWithUserId, can_view: s.canRead, can_edit: s.canWrite, can_delete: s.canDelete })),
    };
  }

  return {
    async get(principal: Principal, ownerId: number | undefined, segments: string[]): Promise<PermissionsView> {
      const located = await ownedLocation(principal, ownerId, segments);
      return view(located.node.id, located.owner.id, segments);
    },

    async replace(
      principal: Principal,
      ownerId: number | undefined,
      segments: string[],
      rules: PermissionRule[],
    ): Promise<PermissionsView> {
      const located = await ownedLocation(principal, ownerId, segments);
      const ids = rules.map((r) => r.user_id);
      if (new Set(ids).size !== ids.length) throw ValidationError.field(['body', 'rules'], 'lists a user twice');
      const known = await repos.users.usernames(ids);
      for (const [i, rule] of rules.entries()) {
        if (!known.has(rule.user_id)) throw ValidationError.field(['body', 'rules', i, 'user_id'], `no user with id ${rule.user_id}`);
        if (rule.user_id === located.owner.id)
          throw ValidationError.field(['body', 'rules', i, 'user_id'], 'is the owner, who always has every right');
      }
      const now = deps.clock.now();
      await deps.transaction(async (r) => {
        await r.shares.deleteUserSharesForFile(located.node.id);
        for (const rule of rules) {
          await r.shares.createUserShare(
            {
              fileId: located.node.id,
              ownerId: principal.user.id,
              sharedWithUserId: rule.user_id,
              canRead: rule.can_view || rule.can_edit || rule.can_delete,
              canWrite: rule.can_edit,
              canDelete: rule.can_delete,
              canShare: false,
              expiresAt: null,
            },
            now,
          );
        }
      });
      return view(located.node.id, located.owner.id, segments);
    },
  };
}

export type FilePermissionsService = ReturnType<typeof createFilePermissionsService>;
