import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { everyRecord } from '../../adapters/every-record.ts';
import type { RecordStore, StorageConnection, StorageSpec, StoredRecord } from '../../adapters/types.ts';

/**
 * A console sign-in as stored. The browser holds a random token; the record's id is made
 * from the token's SHA-256 ({@link tokenId}), so a copy of the store does not let anyone act as a signed-in user.
 */
export interface SessionRecord extends StoredRecord {
  readonly userId: string;
  /** What every form of this session sends back (`_csrf`): a page from another site cannot know it. */
  readonly csrf: string;
  /** ISO time; the session is gone after it, used or not. */
  readonly expiresAt: string;
}

export const SESSIONS_SPEC: StorageSpec = {
  automation: '_council-console-sessions',
  collection: '_council_console_sessions',
  fields: [
    { name: 'userId', kind: 'string' },
    { name: 'csrf', kind: 'string' },
    { name: 'expiresAt', kind: 'string' },
  ],
  filterable: ['userId'],
  sortable: ['createdAt'],
};

/** How long a sign-in lasts: a working day, then the password again. */
export const SESSION_HOURS = 12;

/** Sessions of console users, in the system store beside the users. */
export class SessionStore {
  readonly #records: RecordStore;

  constructor(records: RecordStore) {
    this.#records = records;
  }

  static async open(connection: StorageConnection): Promise<SessionStore> {
    return new SessionStore(await connection.open(SESSIONS_SPEC));
  }

  /**
   * A new session for the user; `token` is the cookie's value and is not kept. The user's
   * sessions that expired unseen (a browser closed, never signed out) are deleted first,
   * so they do not pile up.
   */
  async create(userId: string, now = new Date()): Promise<{ token: string; session: SessionRecord }> {
    await this.#sweep(userId, now);
    const token = randomBytes(32).toString('base64url');
    const session: SessionRecord = {
      id: tokenId(token),
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      userId,
      csrf: randomBytes(24).toString('base64url'),
      expiresAt: new Date(now.getTime() + SESSION_HOURS * 3600_000).toISOString(),
    };
    await this.#records.create(session);
    return { token, session };
  }

  /** The session of a cookie's token while it lasts; an expired one is deleted on sight. */
  async find(token: string, now = new Date()): Promise<SessionRecord | undefined> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
    const session = (await this.#records.get(tokenId(token))) as SessionRecord | undefined;
    if (!session) return undefined;
    if (session.expiresAt <= now.toISOString()) {
      await this.#records.delete(session.id);
      return undefined;
    }
    return session;
  }

  /** Ends one session (sign out). */
  async revoke(token: string): Promise<void> {
    await this.#records.delete(tokenId(token));
  }

  async #sweep(userId: string, now: Date): Promise<void> {
    const expired: string[] = [];
    for await (const session of everyRecord(this.#records, [{ field: 'userId', op: 'eq', value: userId }], 'createdAt', 100)) {
      if ((session as SessionRecord).expiresAt <= now.toISOString()) expired.push(session.id);
    }
    for (const id of expired) await this.#records.delete(id);
  }

  /** Ends every session of a user (disabled, password reset or changed, or revoked by an admin); how many there were. */
  async revokeUser(userId: string, except?: string): Promise<number> {
    const ids: string[] = [];
    for await (const session of everyRecord(this.#records, [{ field: 'userId', op: 'eq', value: userId }], 'createdAt', 100)) {
      if (session.id !== except) ids.push(session.id);
    }
    for (const id of ids) await this.#records.delete(id);
    return ids.length;
  }
}

/**
 * The id a token is stored under: the first 128 bits of its SHA-256, written as a UUID,
 * the shape every system store keeps ids in (PostgreSQL's is a uuid column).
 */
export function tokenId(token: string): string {
  const hex = createHash('sha256').update(token).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** Whether a form's `_csrf` is the session's, in constant time. */
export function csrfMatches(session: SessionRecord, sent: unknown): boolean {
  if (typeof sent !== 'string') return false;
  const a = Buffer.from(sent);
  const b = Buffer.from(session.csrf);
  return a.length === b.length && timingSafeEqual(a, b);
}
