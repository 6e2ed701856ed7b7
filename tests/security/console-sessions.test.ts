import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryRecordStore } from '../../adapters/memory/adapter.ts';
import { csrfMatches, SESSION_HOURS, SessionStore, tokenId } from '../../engine/security/console-session.ts';

/** Console sessions: kept by a hash of the token, expiring, revocable one by one or per user, and swept when they expired unseen. */
describe('console sessions', () => {
  it('finds a session by its token only, never by the stored id; it expires after SESSION_HOURS', async () => {
    const store = new SessionStore(new MemoryRecordStore());
    const start = new Date('2026-12-07T08:00:00Z');
    const { token, session } = await store.create('user-1', start);
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(session.id, tokenId(token));
    assert.notEqual(session.id, token);
    assert.equal((await store.find(token, start))?.userId, 'user-1');
    assert.equal(await store.find(session.id, start), undefined, 'the stored id is not a token');
    const later = new Date(start.getTime() + SESSION_HOURS * 3_600_000);
    assert.equal(await store.find(token, later), undefined, 'gone once it expires');
    assert.ok(csrfMatches(session, session.csrf));
    assert.ok(!csrfMatches(session, `${session.csrf}x`));
    assert.ok(!csrfMatches(session, undefined));
  });

  it("revokes one session, or all of a user but one; a new sign-in sweeps the user's expired ones", async () => {
    const records = new MemoryRecordStore();
    const store = new SessionStore(records);
    const old = new Date('2026-12-01T08:00:00Z');
    await store.create('user-1', old);
    await store.create('user-1', old);
    const now = new Date('2026-12-07T08:00:00Z');
    const kept = await store.create('user-1', now);
    const other = await store.create('user-2', now);
    const page = await records.list({ filters: [], sort: { field: 'createdAt', direction: 'asc' }, limit: 100 });
    assert.equal(page.records.length, 2, 'the two expired sessions of user-1 were swept when it signed in again');
    const second = await store.create('user-1', now);
    assert.equal(await store.revokeUser('user-1', kept.session.id), 1);
    assert.ok(await store.find(kept.token, now));
    assert.equal(await store.find(second.token, now), undefined);
    await store.revoke(kept.token);
    assert.equal(await store.find(kept.token, now), undefined);
    assert.ok(await store.find(other.token, now), 'another user keeps theirs');
  });
});
