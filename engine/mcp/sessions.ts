/** Limits on the MCP sessions a server keeps. */
export interface SessionLimits {
  /** Sessions of one owner (an API key, or one address without a key); past it the owner's least recently used one closes. */
  readonly perOwner: number;
  /** Sessions in all. */
  readonly total: number;
  /** Of those, sessions without a key (when public tools exist): strangers never take the room keys need. */
  readonly anonymous: number;
  /** A session unused this long is closed. */
  readonly idleMs: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = { perOwner: 16, total: 1000, anonymous: 250, idleMs: 30 * 60_000 };

/** Who a session belongs to: `k:<key id>`, or `a:<address>` for a caller without a key. */
export type SessionOwner = `k:${string}` | `a:${string}`;

interface Entry<S> {
  readonly owner: SessionOwner;
  readonly session: S;
  usedAt: number;
}

/**
 * The open MCP sessions, by id, each bound to its owner. An owner can only ever push
 * out its own sessions: at its own cap its least recently used one closes; when the
 * table (or the share of callers without a key) is full, an owner with no session to
 * give up is refused until one frees. Sessions idle past `idleMs` close, checked when
 * they are used and by a sweep that runs only while sessions exist (its timer never
 * keeps the process alive).
 */
export class SessionTable<S> {
  readonly #entries = new Map<string, Entry<S>>();
  readonly #limits: SessionLimits;
  readonly #now: () => number;
  readonly #close: (session: S, why: string) => void;
  #sweeper: NodeJS.Timeout | undefined;

  constructor(limits: SessionLimits, close: (session: S, why: string) => void, now: () => number = Date.now) {
    this.#limits = limits;
    this.#close = close;
    this.#now = now;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Whether `owner` may open a session now (perhaps by closing one of its own). */
  admits(owner: SessionOwner): boolean {
    this.#expire();
    if (this.#count((o) => o === owner) > 0) return true;
    if (this.#entries.size >= this.#limits.total) return false;
    return !isAnonymous(owner) || this.#count(isAnonymous) < this.#limits.anonymous;
  }

  /**
   * Adds a session that just initialized, closing the owner's least recently used one
   * where a cap says so. False (and the new session closed) if there is no room it may take.
   */
  add(id: string, owner: SessionOwner, session: S): boolean {
    this.#expire();
    const full = () =>
      this.#count((o) => o === owner) >= this.#limits.perOwner ||
      this.#entries.size >= this.#limits.total ||
      (isAnonymous(owner) && this.#count(isAnonymous) >= this.#limits.anonymous);
    while (full()) {
      const oldest = this.#oldestOf(owner);
      if (oldest === undefined) {
        this.#close(session, 'no room for another session');
        return false;
      }
      this.delete(oldest, 'replaced by a newer session of the same key');
    }
    this.#entries.set(id, { owner, session, usedAt: this.#now() });
    this.#sweep();
    return true;
  }

  /** The session `id` if it is open and belongs to `owner`; using it keeps it alive. */
  use(id: string, owner: SessionOwner): S | undefined {
    const entry = this.#entries.get(id);
    if (!entry || entry.owner !== owner) return undefined;
    if (this.#now() - entry.usedAt >= this.#limits.idleMs) {
      this.delete(id, 'idle');
      return undefined;
    }
    entry.usedAt = this.#now();
    return entry.session;
  }

  /** Forgets a session (closing it, unless `why` is undefined: the client ended it itself). */
  delete(id: string, why?: string): void {
    const entry = this.#entries.get(id);
    if (!entry) return;
    this.#entries.delete(id);
    if (why !== undefined) this.#close(entry.session, why);
    if (this.#entries.size === 0) this.#stopSweep();
  }

  sessions(): IterableIterator<S> {
    return [...this.#entries.values()].map((e) => e.session)[Symbol.iterator]();
  }

  /** Closes every session (the server is stopping). */
  closeAll(): void {
    for (const id of [...this.#entries.keys()]) this.delete(id, 'server stopping');
    this.#stopSweep();
  }

  #count(match: (owner: SessionOwner) => boolean): number {
    let n = 0;
    for (const entry of this.#entries.values()) if (match(entry.owner)) n++;
    return n;
  }

  #oldestOf(owner: SessionOwner): string | undefined {
    let oldest: [string, number] | undefined;
    for (const [id, entry] of this.#entries) {
      if (entry.owner === owner && (oldest === undefined || entry.usedAt < oldest[1])) oldest = [id, entry.usedAt];
    }
    return oldest?.[0];
  }

  #expire(): void {
    const now = this.#now();
    for (const [id, entry] of this.#entries) if (now - entry.usedAt >= this.#limits.idleMs) this.delete(id, 'idle');
  }

  #sweep(): void {
    if (this.#sweeper) return;
    const every = Math.max(1000, Math.min(60_000, this.#limits.idleMs / 4));
    this.#sweeper = setInterval(() => this.#expire(), every);
    this.#sweeper.unref();
  }

  #stopSweep(): void {
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
  }
}

function isAnonymous(owner: SessionOwner): boolean {
  return owner.startsWith('a:');
}
