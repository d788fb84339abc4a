import { randomBytes } from 'node:crypto';
import { isUniqueViolation } from '../db/index.js';
import { ConflictError, ForbiddenError, NotFoundError, PayloadTooLargeError, ValidationError } from '../errors/index.js';
import { sniffPictureType } from '../lib/image-types.js';
import type { Clock, PasswordHasher, Repositories, Role, Storage, TransactionRunner, User } from '../repositories/index.js';
import type { AuditService } from './audit.service.js';
import type { Principal } from './auth.service.js';
import { assertPasswordAllowed } from './password-policy.js';
import type { RequestContext } from './request-context.js';

export interface UserChanges {
  username?: string;
  email?: string;
  password?: string;
  role?: Role;
  is_active?: boolean;
  quota_bytes?: number | null;
}

export interface UserListFilter {
  search?: string;
  role?: Role;
  isActive?: boolean;
  sortBy?: 'id' | 'username' | 'email' | 'role' | 'created_at';
  sortOrder?: 'asc' | 'desc';
}

interface UsersDeps {
  repos: Repositories;
  transaction: TransactionRunner;
  clock: Clock;
  hasher: PasswordHasher;
  storage: Storage;
  audit: AuditService;
  /** Throws unless the actor proved the password within the last minutes (AuthService's rule). */
  assertFreshAuthentication: (principal: Principal) => void;
}

/** A profile picture is shown small; a megabyte is a photo straight from a phone, and plenty. */
export const AVATAR_MAX_BYTES = 1024 * 1024;

/** Account administration. Rules: the last active admin stays, nobody deletes themselves. */
export function createUsersService(deps: UsersDeps) {
  const { repos, clock, hasher, audit } = deps;

  function assertSelfOrAdmin(actor: Principal, id: number): void {
    if (actor.user.id !== id && actor.user.role !== 'admin')
      throw new ForbiddenError("Only the user themselves or an admin may change a user's profile", 'not_your_profile');
  }

  async function requireUser(id: number): Promise<User> {
    const user = await repos.users.findById(id);
    if (!user) throw new NotFoundError(`User not found: id=${id}`, 'user_not_found');
    return user;
  }

  /** Would this change leave no active admin? Checked inside the transaction that makes it. */
  /**
   * Inside the change's transaction: the active admins are locked first (row locks on PostgreSQL;
   * SQLite runs one transaction at a time), then the target is read again. Two requests demoting
   * the last two admins at once are so taken in turn, and the second sees what the first did.
   */
  async function assertKeepsAnAdmin(
    r: Repositories,
    targetId: number,
    after: ((current: User) => { role: Role; isActive: boolean }) | null,
  ): Promise<void> {
    const activeAdmins = await r.users.lockActiveAdmins();
    const target = await r.users.findById(targetId);
    if (!target) return;
    const next = after === null ? null : after(target);
    const stillAdmin = next !== null && next.role === 'admin' && next.isActive;
    if (target.role === 'admin' && target.isActive && !stillAdmin && activeAdmins <= 1) {
      throw new ConflictError('The last active admin cannot be removed, demoted or disabled', 'last_admin');
    }
  }

  async function removeHome(userId: number): Promise<void> {
    const home = await repos.files.findHome(userId);
    if (!home) return;
    try {
      await deps.storage.purge(await deps.storage.moveToTrash([home.name]));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }

  return {
    /**
     * Every account for an admin. Anyone else gets the active accounts without their e-mail
     * addresses: enough to pick whom to share with, as the web client's File Manager and Shares page do.
     */
    async list(actor: Principal, filter: UserListFilter) {
      const admin = actor.user.role === 'admin';
      const users = await repos.users.list({
        search: filter.search,
        role: filter.role,
        isActive: admin ? filter.isActive : true,
        sortBy: filter.sortBy ?? 'id',
        sortOrder: filter.sortOrder ?? 'asc',
      });
      if (!admin) {
        const visible = users.map((u) => ({ ...u, email: '' }));
        return {
          users: visible,
          total: visible.length,
          active: visible.length,
          inactive: 0,
          admins: visible.filter((u) => u.role === 'admin').length,
        };
      }
      const counts = await repos.users.counts();
      return { users, total: counts.total, active: counts.active, inactive: counts.total - counts.active, admins: counts.admins };
    },

    async create(
      ctx: RequestContext,
      actor: Principal | null,
      input: { username: string; email: string; password: string; role: Role },
    ): Promise<User> {
      // Making an admin hands out every right: a session left open at a desk must not be able to.
      if (actor && input.role === 'admin') deps.assertFreshAuthentication(actor);
      assertPasswordAllowed(input.password, input.username, ['body', 'password']);
      const passwordHash = await hasher.hash(input.password);
      let user: User;
      try {
        user = await repos.users.create(
          { username: input.username, email: input.email, passwordHash, role: input.role, isActive: true },
          clock.now(),
        );
      } catch (err) {
        if (isUniqueViolation(err)) throw new ConflictError(`Username already taken: ${input.username}`, 'username_taken');
        throw err;
      }
      await audit.record(ctx, {
        eventType: 'user',
        action: actor ? 'create_user' : 'register',
        userId: actor?.user.id ?? user.id,
        username: actor?.user.username ?? user.username,
        resource: `user:${user.id}`,
        success: true,
        details: { username: user.username, role: user.role },
      });
      return user;
    },

    async update(ctx: RequestContext, actor: Principal, id: number, changes: UserChanges): Promise<User> {
      const target = await requireUser(id);
      // Changing a role, or setting another admin's password (which takes over that admin), needs a fresh password.
      if (changes.role !== undefined || (changes.password !== undefined && target.role === 'admin' && target.id !== actor.user.id))
        deps.assertFreshAuthentication(actor);
      const username = changes.username ?? target.username;
      if (changes.password !== undefined) assertPasswordAllowed(changes.password, username, ['body', 'password']);
      const passwordHash = changes.password !== undefined ? await hasher.hash(changes.password) : undefined;
      const now = clock.now();
      let updated: User | undefined;
      try {
        updated = await deps.transaction(async (r) => {
          await assertKeepsAnAdmin(r, id, (current) => ({
            role: changes.role ?? current.role,
            isActive: changes.is_active ?? current.isActive,
          }));
          const result = await r.users.update(
            id,
            {
              username: changes.username,
              email: changes.email,
              passwordHash,
              role: changes.role,
              isActive: changes.is_active,
              quotaBytes: changes.quota_bytes,
            },
            now,
          );
          // A new password or a disabled account ends every session of that user.
          if (passwordHash !== undefined || changes.is_active === false)
            await r.sessions.revokeAllForUser(id, passwordHash ? 'password_reset_by_admin' : 'account_disabled', now);
          return result;
        });
      } catch (err) {
        if (isUniqueViolation(err)) throw new ConflictError(`Username already taken: ${changes.username}`, 'username_taken');
        throw err;
      }
      if (!updated) throw new NotFoundError(`User not found: id=${id}`, 'user_not_found');
      const changed = Object.keys(changes).filter((k) => k !== 'password');
      if (changes.password !== undefined) changed.push('password');
      await audit.recordBy(ctx, actor, {
        eventType: 'user',
        action: 'update_user',
        resource: `user:${id}`,
        success: true,
        details: { changed },
      });
      return updated;
    },

    /** What users change about themselves on the Settings page (an admin may for anyone): the e-mail address. */
    async updateProfile(ctx: RequestContext, actor: Principal, id: number, changes: { email?: string }): Promise<User> {
      assertSelfOrAdmin(actor, id);
      await requireUser(id);
      const updated = await repos.users.update(id, { email: changes.email }, clock.now());
      if (!updated) throw new NotFoundError(`User not found: id=${id}`, 'user_not_found');
      await audit.recordBy(ctx, actor, {
        eventType: 'user',
        action: 'update_profile',
        resource: `user:${id}`,
        success: true,
        details: { changed: Object.keys(changes) },
      });
      return updated;
    },

    /** Sets a user's profile picture from the uploaded bytes: a PNG, JPEG, GIF or WebP by its content, at most a megabyte. */
    async setAvatar(ctx: RequestContext, actor: Principal, id: number, bytes: Buffer): Promise<User> {
      assertSelfOrAdmin(actor, id);
      await requireUser(id);
      if (bytes.length > AVATAR_MAX_BYTES)
        throw new PayloadTooLargeError(`A profile picture may be at most ${AVATAR_MAX_BYTES} bytes`, 'avatar_too_large');
      const contentType = sniffPictureType(bytes);
      if (!contentType) throw ValidationError.field(['body', 'avatar'], 'must be a PNG, JPEG, GIF or WebP image');
      // A new name with every picture: browsers may cache one for long, and the old name stops working.
      const key = randomBytes(24).toString('base64url');
      await deps.transaction((r) => r.users.setAvatar(id, { key, contentType, bytes }, clock.now()));
      await audit.recordBy(ctx, actor, {
        eventType: 'user',
        action: 'set_avatar',
        resource: `user:${id}`,
        success: true,
        details: { content_type: contentType, size_bytes: bytes.length },
      });
      return requireUser(id);
    },

    async avatar(key: string) {
      const found = await repos.users.findAvatar(key);
      if (!found) throw new NotFoundError('Profile picture not found', 'avatar_not_found');
      return found;
    },

    async toggleActive(ctx: RequestContext, actor: Principal, id: number): Promise<User> {
      const target = await requireUser(id);
      if (target.id === actor.user.id) throw new ForbiddenError('You cannot disable your own account', 'self_change');
      return this.update(ctx, actor, id, { is_active: !target.isActive });
    },

    async remove(ctx: RequestContext, actor: Principal, id: number): Promise<void> {
      if (id === actor.user.id) throw new ForbiddenError('You cannot delete your own account', 'self_delete');
      const target = await requireUser(id);
      await deps.transaction(async (r) => {
        await assertKeepsAnAdmin(r, id, null);
        await r.users.delete(id);
      });
      await removeHome(id);
      await audit.recordBy(ctx, actor, {
        eventType: 'user',
        action: 'delete_user',
        resource: `user:${id}`,
        success: true,
        details: { username: target.username },
      });
    },

    async bulkRemove(
      ctx: RequestContext,
      actor: Principal,
      ids: number[],
    ): Promise<{ deleted: number; failed: number; failed_ids: number[] }> {
      const failed: number[] = [];
      let deleted = 0;
      for (const id of [...new Set(ids)]) {
        try {
          await this.remove(ctx, actor, id);
          deleted += 1;
        } catch {
          failed.push(id);
        }
      }
      return { deleted, failed: failed.length, failed_ids: failed };
    },

    validateRegistration(enabled: boolean): void {
      if (!enabled) throw new ForbiddenError('Registration is disabled on this server', 'registration_disabled');
    },
  };
}

export type UsersService = ReturnType<typeof createUsersService>;
