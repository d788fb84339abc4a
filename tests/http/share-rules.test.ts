/**
 * The rules of share access, to the second and to the word: when a link stops working and what its
 * visitor is told, who may see and change which shares, what a user share grants, and what the
 * audit log keeps about each. The clock is moved by hand.
 */
import type { InjectOptions } from 'fastify';
import { expect, it } from 'vitest';
import { auditEntries } from '../helpers/audit.js';
import { createLoggedInUser } from '../helpers/factories.js';
import { fakeClock } from '../helpers/fake-clock.js';
import { upload } from '../helpers/files.js';
import { describeEachDialect, type TestEnv } from '../helpers/test-app.js';

const clock = fakeClock(new Date('2026-06-01T12:00:00Z'));
const inSeconds = (s: number) => new Date(clock.now().getTime() + s * 1000).toISOString();

async function ownerWithFile(env: TestEnv) {
  const owner = await createLoggedInUser(env);
  await env.app.inject({ method: 'POST', url: '/api/files/folder', headers: owner.headers, payload: { path: '', name: 'Trips' } });
  const res = await upload(env, owner.headers, 'Trips', [{ filename: 'map.txt', content: 'north' }]);
  const folder = (await env.app.inject({ method: 'GET', url: '/api/files/list?path=', headers: owner.headers })).json().files[0] as {
    file_id: number;
  };
  return { owner, fileId: res.json().file_ids[0] as number, folderId: folder.file_id };
}

describeEachDialect(
  'share rules',
  (env) => {
    const inject = (options: InjectOptions) => env().app.inject(options);
    const createLink = (headers: Record<string, string>, payload: Record<string, unknown>) =>
      inject({ method: 'POST', url: '/api/shares/links', headers, payload });
    const access = (token: string, password?: string) =>
      inject({ method: 'POST', url: `/api/shares/public/${token}/access`, payload: password === undefined ? {} : { password } });
    const download = (token: string, password?: string) =>
      inject({
        method: 'GET',
        url: `/api/shares/public/${token}/download`,
        headers: password === undefined ? {} : { 'x-share-password': password },
      });
    /** POST /api/shares/user-shares: read only unless `rights` says more. */
    const grant = (fileId: number, headers: Record<string, string>, to: number, rights: Record<string, boolean>) =>
      inject({
        method: 'POST',
        url: '/api/shares/user-shares',
        headers,
        payload: {
          file_id: fileId,
          shared_with_user_id: to,
          can_read: true,
          can_write: false,
          can_delete: false,
          can_share: false,
          ...rights,
        },
      });
    const auditOf = async (action: string) => auditEntries(env(), (await createLoggedInUser(env(), { role: 'admin' })).headers, { action });

    it('stops a link at the second it expires, telling the visitor so', async () => {
      const { owner, fileId } = await ownerWithFile(env());
      const link = (await createLink(owner.headers, { file_id: fileId, allow_download: true, expires_at: inSeconds(60) })).json();
      clock.advance(59);
      expect((await access(link.token)).statusCode).toBe(200);
      clock.advance(1);
      const gone = await access(link.token);
      expect(gone.statusCode).toBe(410);
      expect(gone.json()).toMatchObject({ code: 'share_expired', detail: 'This share link has expired' });
      const listed = (await inject({ method: 'GET', url: `/api/shares/links/${link.id}`, headers: owner.headers })).json();
      expect(listed).toMatchObject({ is_expired: true, is_accessible: false });
    });

    it("sets, keeps and clears a link's expiry", async () => {
      const { owner, fileId } = await ownerWithFile(env());
      const link = (await createLink(owner.headers, { file_id: fileId })).json();
      const patch = (payload: Record<string, unknown>) =>
        inject({ method: 'PATCH', url: `/api/shares/links/${link.id}`, headers: owner.headers, payload });
      expect((await patch({ expires_at: inSeconds(3600) })).json().expires_at).toBe(inSeconds(3600));
      expect((await patch({ description: 'unchanged expiry' })).json().expires_at).toBe(inSeconds(3600));
      expect((await patch({ expires_at: null })).json().expires_at).toBeNull();
    });

    it('refuses an expiry that is not in the future, at creation and on change', async () => {
      const { owner, fileId } = await ownerWithFile(env());
      const now = await createLink(owner.headers, { file_id: fileId, expires_at: inSeconds(0) });
      expect(now.statusCode).toBe(422);
      expect(now.json().detail).toEqual([expect.objectContaining({ loc: ['body', 'expires_at'], msg: 'must be in the future' })]);
      const link = (await createLink(owner.headers, { file_id: fileId })).json();
      const change = await inject({
        method: 'PATCH',
        url: `/api/shares/links/${link.id}`,
        headers: owner.headers,
        payload: { expires_at: inSeconds(-5) },
      });
      expect(change.json().detail).toEqual([expect.objectContaining({ loc: ['body', 'expires_at'], msg: 'must be in the future' })]);
    });

    it('ends a link after its last allowed download and says why', async () => {
      const { owner, fileId } = await ownerWithFile(env());
      const link = (await createLink(owner.headers, { file_id: fileId, allow_download: true, max_downloads: 2 })).json();
      expect((await download(link.token)).statusCode).toBe(200);
      expect((await access(link.token)).statusCode).toBe(200); // viewing does not count
      expect((await download(link.token)).statusCode).toBe(200);
      const used = await download(link.token);
      expect(used.statusCode).toBe(410);
      expect(used.json()).toMatchObject({ code: 'share_used_up', detail: 'This share link has reached its download limit' });
      expect((await access(link.token)).json()).toMatchObject({ code: 'share_used_up' });
      const listed = (await inject({ method: 'GET', url: `/api/shares/links/${link.id}`, headers: owner.headers })).json();
      expect(listed).toMatchObject({ download_count: 2, is_expired: false, is_accessible: false });
    });

    it("answers HEAD on a link with the download's headers without spending a download or auditing one", async () => {
      const { owner, fileId } = await ownerWithFile(env());
      const link = (await createLink(owner.headers, { file_id: fileId, allow_download: true, max_downloads: 1 })).json();
      for (let i = 0; i < 3; i++) {
        const head = await inject({ method: 'HEAD', url: `/api/shares/public/${link.token}/download` });
        expect(head.statusCode).toBe(200);
        expect(head.headers['content-disposition']).toContain('map.txt');
        expect(head.body).toBe('');
      }
      expect((await inject({ method: 'GET', url: `/api/shares/links/${link.id}`, headers: owner.headers })).json().download_count).toBe(0);
      const downloadsAudited = async () => (await auditOf('download_link')).filter((e) => e.resource === `link:${link.id}`).length;
      expect(await downloadsAudited()).toBe(0);
      const got = await download(link.token);
      expect([got.statusCode, got.body]).toEqual([200, 'north']);
      expect(await downloadsAudited()).toBe(1);
      // Used up now: HEAD says so too, as GET would.
      expect((await inject({ method: 'HEAD', url: `/api/shares/public/${link.token}/download` })).statusCode).toBe(410);
    });

    it('asks for a missing password and refuses a wrong one, in different words', async () => {
      const { owner, fileId } = await ownerWithFile(env());
      const link = (await createLink(owner.headers, { file_id: fileId, allow_download: true, password: 'sesame-street-42' })).json();
      expect(link.has_password).toBe(true);
      expect((await access(link.token)).json()).toMatchObject({
        code: 'share_password_required',
        detail: 'This share link needs a password',
      });
      expect((await access(link.token, 'wrong-one')).json()).toMatchObject({
        code: 'share_password_required',
        detail: 'Wrong share password',
      });
      expect((await access(link.token, 'sesame-street-42')).statusCode).toBe(200);
      expect((await download(link.token, 'sesame-street-42')).body).toBe('north');

      // Changing something else keeps the password.
      expect(
        (
          await inject({
            method: 'PATCH',
            url: `/api/shares/links/${link.id}`,
            headers: owner.headers,
            payload: { description: 'for the family' },
          })
        ).json(),
      ).toMatchObject({ has_password: true, description: 'for the family' });
      expect((await access(link.token)).statusCode).toBe(403);
      // The owner removes the password: the link opens without one.
      const open = await inject({
        method: 'PATCH',
        url: `/api/shares/links/${link.id}`,
        headers: owner.headers,
        payload: { password: null },
      });
      expect(open.json().has_password).toBe(false);
      expect((await access(link.token)).statusCode).toBe(200);
      // ...and sets a new one: only the new one works.
      await inject({
        method: 'PATCH',
        url: `/api/shares/links/${link.id}`,
        headers: owner.headers,
        payload: { password: 'second-password-9' },
      });
      expect((await access(link.token, 'sesame-street-42')).statusCode).toBe(403);
      expect((await access(link.token, 'second-password-9')).statusCode).toBe(200);
    });

    it('refuses downloads when the owner turned them off, and folders as a single download', async () => {
      const { owner, fileId, folderId } = await ownerWithFile(env());
      const viewOnly = (await createLink(owner.headers, { file_id: fileId, allow_download: false })).json();
      expect((await download(viewOnly.token)).json()).toMatchObject({
        code: 'share_download_disabled',
        detail: 'Downloads are not allowed for this link',
      });
      const folder = (await createLink(owner.headers, { file_id: folderId, allow_download: true })).json();
      const res = await download(folder.token);
      expect(res.statusCode).toBe(422);
      expect(res.json().detail).toEqual([
        expect.objectContaining({ loc: ['path', 'token'], msg: 'links to a folder; folders cannot be downloaded as one file' }),
      ]);
      expect((await inject({ method: 'GET', url: `/api/shares/links/${folder.id}`, headers: owner.headers })).json().download_count).toBe(
        0,
      );
    });

    it('lets a user see and manage only their own links; an admin sees and manages all', async () => {
      const a = await ownerWithFile(env());
      const b = await ownerWithFile(env());
      const admin = await createLoggedInUser(env(), { role: 'admin' });
      const linkA = (await createLink(a.owner.headers, { file_id: a.fileId })).json();
      const linkB = (await createLink(b.owner.headers, { file_id: b.fileId })).json();
      const ids = async (headers: Record<string, string>) =>
        (await inject({ method: 'GET', url: '/api/shares/links', headers })).json<{ id: number }[]>().map((l) => l.id);
      expect(await ids(a.owner.headers)).toEqual([linkA.id]);
      expect(await ids(admin.headers)).toEqual(expect.arrayContaining([linkA.id, linkB.id]));
      const foreign = await inject({ method: 'GET', url: `/api/shares/links/${linkB.id}`, headers: a.owner.headers });
      expect(foreign.json()).toMatchObject({ code: 'share_not_found', detail: `Share link not found: id=${linkB.id}` });
      expect(
        (
          await inject({
            method: 'PATCH',
            url: `/api/shares/links/${linkB.id}`,
            headers: admin.headers,
            payload: { description: 'checked by admin' },
          })
        ).json().description,
      ).toBe('checked by admin');
      expect((await inject({ method: 'DELETE', url: `/api/shares/links/${linkB.id}`, headers: admin.headers })).statusCode).toBe(204);
      expect((await access(linkB.token)).json()).toMatchObject({ code: 'share_not_found', detail: 'Share link not found' });
    });

    it('keeps every link visit and download in the audit log, failures with their reason', async () => {
      const { owner, fileId } = await ownerWithFile(env());
      const link = (await createLink(owner.headers, { file_id: fileId, allow_download: true, password: 'a-share-password' })).json();
      await access(link.token, 'nope');
      await access(link.token, 'a-share-password');
      await download(link.token, 'a-share-password');
      const created = (await auditOf('create_link')).filter((e) => e.details?.['link_id'] === link.id);
      expect(created).toEqual([
        expect.objectContaining({
          event_type: 'share',
          user: owner.user.username,
          success: true,
          resource: 'Trips/map.txt',
          details: { link_id: link.id, file_id: fileId },
        }),
      ]);
      const visits = (await auditOf('access_link')).slice(-2);
      expect(visits).toEqual([
        expect.objectContaining({ event_type: 'share', user: null, success: false, error_message: 'Wrong share password', resource: null }),
        expect.objectContaining({ event_type: 'share', user: null, success: true, error_message: null, resource: `link:${link.id}` }),
      ]);
      expect((await auditOf('download_link')).at(-1)).toMatchObject({
        event_type: 'share',
        success: true,
        resource: `link:${link.id}`,
        details: { file_id: fileId },
      });
    });

    it("lets a grantee pass on at most what it holds, never to itself, and never the right to delete the owner's file", async () => {
      const { owner, fileId } = await ownerWithFile(env());
      const [reader, third] = [await createLoggedInUser(env()), await createLoggedInUser(env())];
      const share = (headers: Record<string, string>, to: number, rights: Record<string, boolean>) => grant(fileId, headers, to, rights);
      expect((await share(owner.headers, reader.user.id, { can_share: true })).statusCode).toBe(201);
      const escalations: Record<string, boolean>[] = [
        { can_write: true },
        { can_delete: true },
        { can_write: true, can_delete: true, can_share: true },
      ];
      for (const rights of escalations) {
        const escalated = await share(reader.headers, third.user.id, rights);
        expect([escalated.statusCode, escalated.json().code], JSON.stringify(rights)).toEqual([403, 'share_exceeds_rights']);
      }
      const toSelf = await share(reader.headers, reader.user.id, { can_write: true, can_delete: true });
      expect(toSelf.json().detail).toEqual([
        expect.objectContaining({ loc: ['body', 'shared_with_user_id'], msg: 'is you: a share gives rights to someone else' }),
      ]);
      expect(
        (await inject({ method: 'DELETE', url: `/api/files/Trips/map.txt?owner_id=${owner.user.id}`, headers: reader.headers })).statusCode,
      ).toBe(403);
      // What it holds, it may pass on.
      expect((await share(reader.headers, third.user.id, {})).statusCode).toBe(201);
      expect((await inject({ method: 'GET', url: '/api/files/list?path=Trips', headers: owner.headers })).json().files).toHaveLength(1);
    });

    it("ends a grantee's links when its grant goes, and a disabled account's links; the file's owner sees and deletes them", async () => {
      const { owner, fileId } = await ownerWithFile(env());
      const grantee = await createLoggedInUser(env());
      const grant = await inject({
        method: 'POST',
        url: '/api/shares/user-shares',
        headers: owner.headers,
        payload: {
          file_id: fileId,
          shared_with_user_id: grantee.user.id,
          can_read: true,
          can_write: false,
          can_delete: false,
          can_share: true,
        },
      });
      expect(grant.statusCode).toBe(201);
      const link = (await createLink(grantee.headers, { file_id: fileId, allow_download: true })).json();
      expect((await access(link.token)).statusCode).toBe(200);
      const ownersView = (await inject({ method: 'GET', url: '/api/shares/links', headers: owner.headers })).json<{ id: number }[]>();
      expect(ownersView.map((l) => l.id)).toContain(link.id);

      expect(
        (await inject({ method: 'DELETE', url: `/api/shares/user-shares/${grant.json().id}`, headers: owner.headers })).statusCode,
      ).toBe(204);
      for (const res of [await access(link.token), await download(link.token)])
        expect([res.statusCode, res.json().code]).toEqual([410, 'share_revoked']);
      expect((await inject({ method: 'DELETE', url: `/api/shares/links/${link.id}`, headers: owner.headers })).statusCode).toBe(204);

      // The owner's own link stops too while the owner's account is disabled.
      const own = (await createLink(owner.headers, { file_id: fileId, allow_download: true })).json();
      await env().app.services.repos.users.update(owner.user.id, { isActive: false }, new Date());
      expect((await access(own.token)).statusCode).toBe(410);
      await env().app.services.repos.users.update(owner.user.id, { isActive: true }, new Date());
      expect((await access(own.token)).statusCode).toBe(200);
    });

    it('records who granted a share, and a re-share counts only while its granter could still grant it; the owner sees and ends it', async () => {
      const { owner, fileId } = await ownerWithFile(env());
      const [middle, last] = [await createLoggedInUser(env()), await createLoggedInUser(env())];
      const share = (headers: Record<string, string>, to: number, rights: Record<string, boolean>) => grant(fileId, headers, to, rights);
      const lastReads = async () =>
        (await inject({ method: 'GET', url: `/api/files/download/Trips/map.txt?owner_id=${owner.user.id}`, headers: last.headers }))
          .statusCode;
      const lastRenames = async (from: string, to: string) =>
        (
          await inject({
            method: 'PUT',
            url: `/api/files/rename?owner_id=${owner.user.id}`,
            headers: last.headers,
            payload: { old_path: `Trips/${from}`, new_name: to },
          })
        ).statusCode;
      const sharedWithLast = async () =>
        (await inject({ method: 'GET', url: '/api/shares/shared-with-me', headers: last.headers })).json<{ file_id: number }[]>();

      const toMiddle = (await share(owner.headers, middle.user.id, { can_write: true, can_share: true })).json();
      expect(toMiddle.owner_id).toBe(owner.user.id);
      const toLast = (await share(middle.headers, last.user.id, { can_write: true })).json();
      expect([toLast.owner_id, toLast.owner_username]).toEqual([middle.user.id, middle.user.username]);
      expect(await lastReads()).toBe(200);
      expect([await lastRenames('map.txt', 'map-2.txt'), await lastRenames('map-2.txt', 'map.txt')]).toEqual([200, 200]);
      const ownersList = (await inject({ method: 'GET', url: '/api/shares/user-shares', headers: owner.headers })).json<{ id: number }[]>();
      expect(ownersList.map((s) => s.id)).toEqual(expect.arrayContaining([toMiddle.id, toLast.id]));

      // The granter loses the right it passed on: the re-share keeps reading, stops writing.
      const narrowed = await inject({
        method: 'PATCH',
        url: `/api/shares/user-shares/${toMiddle.id}`,
        headers: owner.headers,
        payload: { can_write: false },
      });
      expect(narrowed.statusCode).toBe(200);
      expect(await lastReads()).toBe(200);
      expect(await lastRenames('map.txt', 'map-2.txt')).toBe(403);

      // The granter's account is disabled: the re-share gives nothing and is not listed.
      await env().app.services.repos.users.update(middle.user.id, { isActive: false }, new Date());
      expect(await lastReads()).toBe(404);
      expect(await sharedWithLast()).toEqual([]);
      await env().app.services.repos.users.update(middle.user.id, { isActive: true }, new Date());
      expect((await sharedWithLast()).map((s) => s.file_id)).toEqual([fileId]);

      // The granter's own share goes: so does everything made through it.
      expect((await inject({ method: 'DELETE', url: `/api/shares/user-shares/${toMiddle.id}`, headers: owner.headers })).statusCode).toBe(
        204,
      );
      expect(await lastReads()).toBe(404);
      expect(await sharedWithLast()).toEqual([]);
      // The owner still sees the dead re-share and may delete it; the last user may not.
      expect((await inject({ method: 'DELETE', url: `/api/shares/user-shares/${toLast.id}`, headers: last.headers })).statusCode).toBe(404);
      expect((await inject({ method: 'DELETE', url: `/api/shares/user-shares/${toLast.id}`, headers: owner.headers })).statusCode).toBe(
        204,
      );
    });

    it('shares with a named user: not with the owner, not with nobody, not twice', async () => {
      const { owner, fileId } = await ownerWithFile(env());
      const friend = await createLoggedInUser(env());
      const share = (payload: Record<string, unknown>) =>
        inject({
          method: 'POST',
          url: '/api/shares/user-shares',
          headers: owner.headers,
          payload: { file_id: fileId, can_read: false, can_write: false, can_delete: false, can_share: false, ...payload },
        });
      expect((await share({ shared_with_user_id: owner.user.id })).json().detail).toEqual([
        expect.objectContaining({ loc: ['body', 'shared_with_user_id'], msg: 'is the owner, who always has every right' }),
      ]);
      expect((await share({ shared_with_user_id: 987654 })).json().detail).toEqual([
        expect.objectContaining({ loc: ['body', 'shared_with_user_id'], msg: 'no user with id 987654' }),
      ]);
      expect((await share({ shared_with_user_id: friend.user.id, expires_at: inSeconds(-1) })).json().detail).toEqual([
        expect.objectContaining({ loc: ['body', 'expires_at'], msg: 'must be in the future' }),
      ]);
      // A share that grants nothing does not grant reading either...
      const other = await createLoggedInUser(env());
      expect((await share({ shared_with_user_id: other.user.id })).json()).toMatchObject({
        can_read: false,
        can_write: false,
        can_delete: false,
        can_share: false,
      });
      // ...while write access implies read access.
      const created = await share({ shared_with_user_id: friend.user.id, can_write: true, expires_at: inSeconds(3600) });
      expect(created.statusCode).toBe(201);
      expect(created.json()).toMatchObject({
        can_read: true,
        can_write: true,
        can_delete: false,
        can_share: false,
        owner_username: owner.user.username,
      });
      const twice = await share({ shared_with_user_id: friend.user.id, can_read: true });
      expect(twice.statusCode).toBe(409);
      expect(twice.json()).toMatchObject({
        code: 'share_exists',
        detail: 'Already shared with that user; change the existing share instead',
      });
      const audit = (await auditOf('create_user_share')).filter((e) => e.details?.['share_id'] === created.json().id);
      expect(audit).toEqual([
        expect.objectContaining({
          event_type: 'share',
          user: owner.user.username,
          success: true,
          resource: 'Trips/map.txt',
          details: { share_id: created.json().id, shared_with_user_id: friend.user.id },
        }),
      ]);
    });

    it('lets owners and admins list and change user shares; others find nothing', async () => {
      const { owner, fileId } = await ownerWithFile(env());
      const friend = await createLoggedInUser(env());
      const stranger = await createLoggedInUser(env());
      const admin = await createLoggedInUser(env(), { role: 'admin' });
      const created = (
        await inject({
          method: 'POST',
          url: '/api/shares/user-shares',
          headers: owner.headers,
          payload: {
            file_id: fileId,
            shared_with_user_id: friend.user.id,
            can_read: true,
            can_write: false,
            can_delete: false,
            can_share: false,
          },
        })
      ).json();
      const listIds = async (headers: Record<string, string>) =>
        (await inject({ method: 'GET', url: '/api/shares/user-shares', headers })).json<{ id: number }[]>().map((s) => s.id);
      expect(await listIds(owner.headers)).toEqual([created.id]);
      expect(await listIds(stranger.headers)).toEqual([]);
      expect(await listIds(admin.headers)).toContain(created.id);
      const foreign = await inject({
        method: 'PATCH',
        url: `/api/shares/user-shares/${created.id}`,
        headers: stranger.headers,
        payload: { can_write: true },
      });
      expect(foreign.json()).toMatchObject({ code: 'share_not_found', detail: `User share not found: id=${created.id}` });
      const changed = await inject({
        method: 'PATCH',
        url: `/api/shares/user-shares/${created.id}`,
        headers: admin.headers,
        payload: { can_delete: true, expires_at: inSeconds(600) },
      });
      expect(changed.json()).toMatchObject({ can_delete: true, expires_at: inSeconds(600) });
      const past = await inject({
        method: 'PATCH',
        url: `/api/shares/user-shares/${created.id}`,
        headers: owner.headers,
        payload: { expires_at: inSeconds(-1) },
      });
      expect(past.json().detail).toEqual([expect.objectContaining({ loc: ['body', 'expires_at'], msg: 'must be in the future' })]);
      expect(
        (
          await inject({
            method: 'PATCH',
            url: `/api/shares/user-shares/${created.id}`,
            headers: owner.headers,
            payload: { can_share: false },
          })
        ).json().expires_at,
      ).toBe(inSeconds(600));
      const cleared = await inject({
        method: 'PATCH',
        url: `/api/shares/user-shares/${created.id}`,
        headers: owner.headers,
        payload: { expires_at: null },
      });
      expect(cleared.json().expires_at).toBeNull();
      clock.advance(700);
      expect(
        (await inject({ method: 'GET', url: '/api/shares/shared-with-me', headers: friend.headers }))
          .json<{ id: number }[]>()
          .map((s) => s.id),
      ).toContain(created.id);
      expect((await inject({ method: 'DELETE', url: `/api/shares/user-shares/${created.id}`, headers: stranger.headers })).statusCode).toBe(
        404,
      );
      expect((await inject({ method: 'DELETE', url: `/api/shares/user-shares/${created.id}`, headers: owner.headers })).statusCode).toBe(
        204,
      );
      expect((await inject({ method: 'GET', url: '/api/shares/shared-with-me', headers: friend.headers })).json()).toEqual([]);
    });
  },
  { clock },
);
