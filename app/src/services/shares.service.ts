import { isUniqueViolation } from '../db/index.js';
import { ConflictError, ForbiddenError, GoneError, NotFoundError, ValidationError } from '../errors/index.js';
import { formatStoragePath } from '../lib/path-safety.js';
import type {
  Clock,
  PasswordHasher,
  Repositories,
  SecretBox,
  ShareGrant,
  ShareLink,
  TokenCrypto,
  UserShare,
} from '../repositories/index.js';
import type { AuditService } from './audit.service.js';
import type { Principal } from './auth.service.js';
import type { FileAccess, Located } from './files.service.js';
import type { RequestContext } from './request-context.js';
import { createShareGrants } from './share-grants.js';
import type { ThrottleService } from './throttle.service.js';

export interface ShareLinkView {
  link: ShareLink;
  /** The link's token, opened from its sealed form for whoever may manage the link. */
  token: string;
  located: Located;
  isExpired: boolean;
  isAccessible: boolean;
}

export interface UserShareView {
  share: UserShare;
  located: Located;
  ownerUsername: string;
  sharedWithUsername: string;
  isExpired: boolean;
  /** Not expired, and its granter could still grant it (share-grants.ts): the share gives access now. */
  isAccessible: boolean;
}

export interface LinkInput {
  fileId: number;
  password?: string | null;
  allowDownload: boolean;
  allowPreview: boolean;
  maxDownloads?: number | null;
  expiresAt?: string | null;
  description?: string | null;
}

interface SharesDeps {
  repos: Repositories;
  clock: Clock;
  hasher: PasswordHasher;
  tokens: TokenCrypto;
  /** Seals link tokens at rest; lookups go by the token's hash, so the box is needed only to show one again. */
  box: SecretBox;
  access: FileAccess;
  audit: AuditService;
  throttle: ThrottleService;
}

/** Public links (a token, optionally a password) and shares with named users. */
export function createSharesService(deps: SharesDeps) {
  const { repos, clock, hasher, tokens, box, access, audit, throttle } = deps;

  function linkState(link: ShareLink, now: Date): { isExpired: boolean; isAccessible: boolean } {
    const isExpired = link.expiresAt !== null && new Date(link.expiresAt) <= now;
    const usedUp = link.maxDownloads !== null && link.downloadCount >= link.maxDownloads;
    return { isExpired, isAccessible: !isExpired && !usedUp };
  }

  const grants = createShareGrants({ repos, clock });
  const targetOf = (located: Located) => ({ ownerId: located.owner.id, fileIds: located.chain.map((f) => f.id) });

  /** A grantee may pass on at most the rights it holds itself (owners and admins hold them all). */
  async function assertHoldsWhatItGrants(principal: Principal, located: Located, grant: Omit<ShareGrant, 'expiresAt'>): Promise<void> {
    if (located.owner.id === principal.user.id || principal.user.role === 'admin') return;
    const wanted = [
      ['can_write', grant.canWrite],
      ['can_delete', grant.canDelete],
    ] as const;
    for (const [right, asked] of wanted) {
      if (asked && !(await grants.holds(principal.user.id, targetOf(located), right)))
        throw new ForbiddenError(
          `You may share at most the rights you hold: you may not ${right.replace('can_', '')} this file`,
          'share_exceeds_rights',
        );
    }
  }

  /**
   * A link works only while whoever made it could make it now (share-grants.ts): revoking a grant
   * or disabling an account ends the links made through it.
   */
  async function assertCreatorMayStillShare(link: ShareLink, located: Located): Promise<void> {
    if (!(await grants.mayGive(link.ownerId, targetOf(located), 'can_share')))
      throw new GoneError('This share link no longer works: whoever made it may no longer share the file', 'share_revoked');
  }

  async function viewLink(link: ShareLink): Promise<ShareLinkView> {
    return {
      link,
      token: box.open(link.tokenSealed),
      located: await access.locateForShareLink(link.fileId),
      ...linkState(link, clock.now()),
    };
  }

  function assertFuture(expiresAt: string | null | undefined, field: string): void {
    if (expiresAt && new Date(expiresAt) <= clock.now()) throw ValidationError.field(['body', field], 'must be in the future');
  }

  /** Whoever made a link or share, the file's owner, or an admin may see, change and delete it. */
  async function mayManage(principal: Principal, made: { ownerId: number; fileId: number }): Promise<boolean> {
    return (
      made.ownerId === principal.user.id ||
      principal.user.role === 'admin' ||
      (await access.locateForShareLink(made.fileId)).owner.id === principal.user.id
    );
  }

  async function ownLink(principal: Principal, id: number): Promise<ShareLink> {
    const link = await repos.shares.findLink(id);
    if (!link || !(await mayManage(principal, link))) throw new NotFoundError(`Share link not found: id=${id}`, 'share_not_found');
    return link;
  }

  async function ownUserShare(principal: Principal, id: number): Promise<UserShare> {
    const share = await repos.shares.findUserShare(id);
    if (!share || !(await mayManage(principal, share))) throw new NotFoundError(`User share not found: id=${id}`, 'share_not_found');
    return share;
  }

  async function viewUserShare(share: UserShare): Promise<UserShareView> {
    const names = await repos.users.usernames([share.ownerId, share.sharedWithUserId]);
    const located = await access.locateForShareLink(share.fileId);
    const isExpired = share.expiresAt !== null && new Date(share.expiresAt) <= clock.now();
    // Stryker disable next-line StringLiteral: equivalent: a share is deleted with either of its users, so both names exist
    return {
      share,
      located,
      ownerUsername: names.get(share.ownerId) ?? '',
      sharedWithUsername: names.get(share.sharedWithUserId) ?? '',
      isExpired,
      isAccessible: !isExpired && (await grants.mayGive(share.ownerId, targetOf(located), 'can_read')),
    };
  }

  /** The link and what it would send, when it may be downloaded at all (the count is not touched). */
  async function downloadable(ctx: RequestContext, token: string, password: string | undefined) {
    const view = await usableLink(ctx, token, password);
    if (!view.link.allowDownload) throw new ForbiddenError('Downloads are not allowed for this link', 'share_download_disabled');
    if (view.located.node.isDirectory)
      throw ValidationError.field(['path', 'token'], 'links to a folder; folders cannot be downloaded as one file');
    return { link: view.link, view };
  }

  /** The link a visitor's token names (matched by its hash: tokens are stored sealed), or 404. */
  async function linkOfToken(token: string): Promise<ShareLink> {
    const link = await repos.shares.findLinkByTokenHash(tokens.hashToken(token));
    if (!link) throw new NotFoundError('Share link not found', 'share_not_found');
    return link;
  }

  /** Token → the link that may be used now, or the error the public sees (404 unknown, 410 gone or revoked, 403 password, 429 locked). */
  async function usableLink(ctx: RequestContext, token: string, password: string | undefined): Promise<ShareLinkView> {
    const link = await linkOfToken(token);
    const state = linkState(link, clock.now());
    if (state.isExpired) throw new GoneError('This share link has expired', 'share_expired');
    if (!state.isAccessible) throw new GoneError('This share link has reached its download limit', 'share_used_up');
    if (link.passwordHash !== null) {
      if (!password) throw new ForbiddenError('This share link needs a password', 'share_password_required');
      await throttle.assertShareLinkNotLocked(ctx, link.id);
      if (!(await hasher.verify(link.passwordHash, password))) {
        await throttle.shareLinkPasswordFailed(ctx, link.id);
        throw new ForbiddenError('Wrong share password', 'share_password_required');
      }
      await throttle.shareLinkPasswordSucceeded(ctx, link.id);
    }
    const view = await viewLink(link);
    await assertCreatorMayStillShare(link, view.located);
    return view;
  }

  return {
    /**
     * Seals the tokens stored before links were sealed (migration 0005 could hash them, but holds no
     * key). Runs at start-up; a no-op once every token is sealed.
     */
    async sealStoredTokens(): Promise<number> {
      const plain = (await repos.shares.linkTokens()).filter((l) => !box.isSealed(l.tokenSealed));
      for (const l of plain) await repos.shares.setLinkTokenSealed(l.id, box.seal(l.tokenSealed));
      return plain.length;
    },

    async createLink(ctx: RequestContext, principal: Principal, input: LinkInput): Promise<ShareLinkView> {
      const located = await access.locateById(principal, input.fileId, 'can_share');
      assertFuture(input.expiresAt, 'expires_at');
      const token = tokens.randomToken();
      const link = await repos.shares.createLink(
        {
          tokenHash: tokens.hashToken(token),
          tokenSealed: box.seal(token),
          fileId: located.node.id,
          ownerId: principal.user.id,
          passwordHash: input.password ? await hasher.hash(input.password) : null,
          allowDownload: input.allowDownload,
          allowPreview: input.allowPreview,
          maxDownloads: input.maxDownloads ?? null,
          expiresAt: input.expiresAt ? new Date(input.expiresAt).toISOString() : null,
          description: input.description ?? null,
        },
        clock.now(),
      );
      await audit.recordBy(ctx, principal, {
        eventType: 'share',
        action: 'create_link',
        resource: formatStoragePath(located.segments),
        success: true,
        details: { link_id: link.id, file_id: link.fileId },
      });
      return { link, token, located, ...linkState(link, clock.now()) };
    },

    async listLinks(principal: Principal): Promise<ShareLinkView[]> {
      const links = await repos.shares.listLinks(principal.user.role === 'admin' ? null : principal.user.id);
      return Promise.all(links.map(viewLink));
    },

    getLink: async (principal: Principal, id: number) => viewLink(await ownLink(principal, id)),

    async updateLink(principal: Principal, id: number, changes: Partial<Omit<LinkInput, 'fileId'>>): Promise<ShareLinkView> {
      await ownLink(principal, id);
      assertFuture(changes.expiresAt, 'expires_at');
      const updated = await repos.shares.updateLink(id, {
        ...(changes.password !== undefined && { passwordHash: changes.password ? await hasher.hash(changes.password) : null }),
        allowDownload: changes.allowDownload,
        allowPreview: changes.allowPreview,
        maxDownloads: changes.maxDownloads,
        // undefined keeps the expiry, null clears it, a date sets it.
        expiresAt: changes.expiresAt && new Date(changes.expiresAt).toISOString(),
        description: changes.description,
      });
      // Stryker disable next-line StringLiteral: equivalent: ownLink found the link a moment ago; only a concurrent delete reads this
      if (!updated) throw new NotFoundError(`Share link not found: id=${id}`, 'share_not_found');
      return viewLink(updated);
    },

    async deleteLink(principal: Principal, id: number): Promise<void> {
      await ownLink(principal, id);
      await repos.shares.deleteLink(id);
    },

    async accessLink(ctx: RequestContext, token: string, password: string | undefined): Promise<ShareLinkView> {
      let view: ShareLinkView;
      try {
        view = await usableLink(ctx, token, password);
      } catch (err) {
        await audit.record(ctx, {
          eventType: 'share',
          action: 'access_link',
          userId: null,
          username: null,
          success: false,
          errorMessage: (err as Error).message,
        });
        throw err;
      }
      await repos.shares.touchLink(view.link.id, clock.now());
      await audit.record(ctx, {
        eventType: 'share',
        action: 'access_link',
        userId: null,
        username: null,
        resource: `link:${view.link.id}`,
        success: true,
      });
      return view;
    },

    /** Checks the link and counts the download atomically; the caller then streams the file. */
    /** What a download would send, without counting it: `HEAD` asks this, and must not spend a download. */
    async peekDownload(ctx: RequestContext, token: string, password: string | undefined): Promise<ShareLinkView> {
      return (await downloadable(ctx, token, password)).view;
    },

    async claimDownload(ctx: RequestContext, token: string, password: string | undefined): Promise<ShareLinkView> {
      const { link, view } = await downloadable(ctx, token, password);
      if (!(await repos.shares.claimDownload(link.id, clock.now())))
        throw new GoneError('This share link has reached its download limit', 'share_used_up');
      await audit.record(ctx, {
        eventType: 'share',
        action: 'download_link',
        userId: null,
        username: null,
        resource: `link:${link.id}`,
        success: true,
        details: { file_id: link.fileId },
      });
      return view;
    },

    async createUserShare(
      ctx: RequestContext,
      principal: Principal,
      input: { fileId: number; sharedWithUserId: number; expiresAt?: string | null } & Omit<ShareGrant, 'expiresAt'>,
    ): Promise<UserShareView> {
      const located = await access.locateById(principal, input.fileId, 'can_share');
      if (input.sharedWithUserId === located.owner.id)
        throw ValidationError.field(['body', 'shared_with_user_id'], 'is the owner, who always has every right');
      if (input.sharedWithUserId === principal.user.id)
        throw ValidationError.field(['body', 'shared_with_user_id'], 'is you: a share gives rights to someone else');
      await assertHoldsWhatItGrants(principal, located, input);
      if (!(await repos.users.findById(input.sharedWithUserId)))
        throw ValidationError.field(['body', 'shared_with_user_id'], `no user with id ${input.sharedWithUserId}`);
      assertFuture(input.expiresAt, 'expires_at');
      let share: UserShare;
      try {
        share = await repos.shares.createUserShare(
          {
            fileId: located.node.id,
            // A share's owner is who granted it: it counts only while they could grant it (share-grants.ts).
            ownerId: principal.user.id,
            sharedWithUserId: input.sharedWithUserId,
            canRead: input.canRead || input.canWrite || input.canDelete || input.canShare,
            canWrite: input.canWrite,
            canDelete: input.canDelete,
            canShare: input.canShare,
            expiresAt: input.expiresAt ? new Date(input.expiresAt).toISOString() : null,
          },
          clock.now(),
        );
      } catch (err) {
        if (isUniqueViolation(err))
          throw new ConflictError('Already shared with that user; change the existing share instead', 'share_exists');
        throw err;
      }
      await audit.recordBy(ctx, principal, {
        eventType: 'share',
        action: 'create_user_share',
        resource: formatStoragePath(located.segments),
        success: true,
        details: { share_id: share.id, shared_with_user_id: share.sharedWithUserId },
      });
      return viewUserShare(share);
    },

    async listUserShares(principal: Principal): Promise<UserShareView[]> {
      const shares = await repos.shares.listUserSharesByOwner(principal.user.role === 'admin' ? null : principal.user.id);
      return Promise.all(shares.map(viewUserShare));
    },

    async updateUserShare(principal: Principal, id: number, changes: Partial<ShareGrant>): Promise<UserShareView> {
      await ownUserShare(principal, id);
      assertFuture(changes.expiresAt, 'expires_at');
      const updated = await repos.shares.updateUserShare(id, {
        ...changes,
        expiresAt: changes.expiresAt && new Date(changes.expiresAt).toISOString(),
      });
      // Stryker disable next-line StringLiteral: equivalent: ownUserShare found it a moment ago; only a concurrent delete reads this
      if (!updated) throw new NotFoundError(`User share not found: id=${id}`, 'share_not_found');
      return viewUserShare(updated);
    },

    async deleteUserShare(principal: Principal, id: number): Promise<void> {
      await ownUserShare(principal, id);
      await repos.shares.deleteUserShare(id);
    },

    async sharedWithMe(principal: Principal): Promise<UserShareView[]> {
      const views = await Promise.all((await repos.shares.listSharedWith(principal.user.id, clock.now())).map(viewUserShare));
      // A share whose granter may no longer grant it gives nothing: listing it would promise a file that cannot be opened.
      return views.filter((v) => v.isAccessible);
    },

    /** The shares on one file the caller may manage: all of them for its owner or an admin, the ones they granted otherwise. */
    async userSharesForFile(principal: Principal, fileId: number): Promise<UserShareView[]> {
      const located = await access.locateById(principal, fileId, 'can_read');
      const manager = located.owner.id === principal.user.id || principal.user.role === 'admin';
      const shares = (await repos.shares.listUserSharesForFile(located.node.id)).filter((s) => manager || s.ownerId === principal.user.id);
      return Promise.all(shares.map(viewUserShare));
    },

    /** What the Shares page sums up for the caller: the links and shares they made, and what is shared with them. */
    async statistics(principal: Principal) {
      const me = principal.user.id;
      const now = clock.now();
      const links = (await repos.shares.listLinks(me)).filter((l) => l.ownerId === me);
      const granted = (await repos.shares.listUserSharesByOwner(me)).filter((g) => g.ownerId === me);
      const states = links.map((l) => linkState(l, now));
      return {
        total_share_links: links.length,
        active_share_links: states.filter((st) => st.isAccessible).length,
        expired_share_links: states.filter((st) => st.isExpired).length,
        total_downloads: links.reduce((n, l) => n + l.downloadCount, 0),
        total_file_shares: granted.length,
        active_file_shares: granted.filter((g) => g.expiresAt === null || new Date(g.expiresAt) > now).length,
        files_shared_with_me: (await this.sharedWithMe(principal)).length,
      };
    },

    /** What a visitor sees before entering a password: no password asked, no download counted, no lockout touched. */
    async linkInfo(token: string): Promise<ShareLinkView> {
      const link = await linkOfToken(token);
      const view = await viewLink(link);
      await assertCreatorMayStillShare(link, view.located);
      return view;
    },
  };
}

export type SharesService = ReturnType<typeof createSharesService>;
