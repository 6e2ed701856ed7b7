import { LRUCache } from 'lru-cache';
import { StorageError } from '../../adapters/types.ts';
import { HttpProblem } from '../errors/problem.ts';
import type { Logger } from '../log.ts';
import { openOnce } from '../registry/open-once.ts';
import { settleWithin } from '../request/deadline.ts';
import type { HeaderSource } from '../request/request-header.ts';
import { grants, grantsAll } from '../schema/scopes.ts';
import { hashKey, isWellFormedKey, sameHash } from './api-key.ts';
import type { KeyRecord, KeyStore } from './key-store.ts';
import { WriteBatch } from './write-batch.ts';

/** Who made a request: the key's id (for the audit log) and what it may do. */
export interface Principal {
  readonly keyId: string;
  readonly name: string;
  readonly scopes: readonly string[];
}

/** How long a key looked up stays trusted in memory: a revoked key stops working within this. */
export const KEY_CACHE_MS = 5000;
/** Keys held in each cache, least recently used first out: a flood of made-up keys pushes out other made-up keys, not the keys in use. */
const CACHE_LIMIT = 10_000;
/** `lastUsedAt` is written at most this often per key, off the request path. */
const TOUCH_EVERY_MS = 60_000;

const CHALLENGE = { 'www-authenticate': 'Bearer realm="theCouncil"' };

/**
 * Checks API keys on requests. Every way a key can fail (missing, malformed, unknown,
 * revoked, expired) gets the same 401, so a caller learns nothing about which keys
 * exist; a malformed key (bad shape or checksum) is refused without a lookup. Keys are
 * read from the system store lazily, on the first request that needs one.
 */
export class Authenticator {
  readonly #open: () => Promise<KeyStore>;
  /** `lastUsedAt` of keys, written in batches off the request path. */
  readonly #uses: WriteBatch<[id: string, at: string]>;
  /** Lookups by hash for {@link KEY_CACHE_MS}, unknown hashes included (`{ key: undefined }`): a made-up key costs one lookup per window. */
  readonly #cache = new LRUCache<string, { key: KeyRecord | undefined; at: number }>({ max: CACHE_LIMIT, ttl: KEY_CACHE_MS });
  /**
   * Keys already checked, by the text presented: a hit skips the checksum and the hash
   * (two SHA-256s), which are most of what a key costs per request. Held no longer than
   * the hash cache, so a revoked key stops working as fast.
   */
  readonly #recent = new LRUCache<string, { principal: Principal; expiresAt: number }>({ max: CACHE_LIMIT, ttl: KEY_CACHE_MS });
  readonly #touched = new Map<string, number>();
  readonly #deadline: { readonly timeoutMs: number; readonly label: string };

  /**
   * `deadline.timeoutMs` bounds each key lookup (not the first opening of the store): a key
   * store that does not answer in time is a 503 for keys not already trusted in memory, never
   * a request held until the store comes back. `label` names its connection in that error.
   */
  constructor(
    open: () => Promise<KeyStore>,
    logger: Logger,
    deadline: { timeoutMs: number; label: string } = { timeoutMs: 2000, label: 'the key store' },
  ) {
    this.#open = openOnce(open);
    this.#deadline = deadline;
    this.#uses = new WriteBatch(async (uses) => (await this.store()).touch(new Map(uses)), logger, {
      what: 'key uses (lastUsedAt)',
      intervalMs: 1000,
    });
  }

  /** Writes the key uses noted so far (at shutdown). */
  flush(): Promise<void> {
    return this.#uses.flush();
  }

  /** The system store's keys, opened once (and again after a failed open). */
  store(): Promise<KeyStore> {
    return this.#open();
  }

  /** The principal of a request, or a 401 problem. Never reads the query string. */
  async authenticate(headers: HeaderSource): Promise<Principal> {
    const recent = this.recent(headers);
    if (recent) return recent;
    const secret = presentedKey(headers);
    if (!secret) throw unauthorized();
    const now = Date.now();
    if (!isWellFormedKey(secret)) throw unauthorized();
    const hash = hashKey(secret);
    // Trusted from when the store was read, not from now: a key read from the cache near the
    // end of its window must not start a new window on what may since have been revoked.
    const { key, at } = await this.#lookup(hash);
    const expiresAt = key?.expiresAt ? Date.parse(key.expiresAt) : Number.POSITIVE_INFINITY;
    if (!key || !sameHash(key.hash, hash) || key.revokedAt || expiresAt <= now) throw unauthorized();
    this.#touch(key);
    const principal = { keyId: key.id, name: key.name, scopes: key.scopes };
    // Trusted no longer than the lookup it came from (the rest of that lookup's window).
    this.#recent.set(secret, { principal, expiresAt }, { ttl: Math.max(1, at + KEY_CACHE_MS - Date.now()) });
    return principal;
  }

  /**
   * The principal of a key presented and accepted in the last {@link KEY_CACHE_MS}, without
   * a lookup; undefined for anything else, which {@link authenticate} then decides.
   */
  recent(headers: HeaderSource): Principal | undefined {
    const secret = presentedKey(headers);
    const recent = secret === undefined ? undefined : this.#recent.get(secret);
    if (!recent) return undefined;
    return Date.now() < recent.expiresAt ? recent.principal : undefined;
  }

  /** A 403 unless the principal holds every scope in `needed`. */
  authorize(principal: Principal, needed: readonly string[]): void {
    if (grantsAll(principal.scopes, needed)) return;
    const missing = needed.filter((scope) => !grants(principal.scopes, scope));
    throw new HttpProblem(
      'forbidden',
      `this API key lacks the scope ${missing.join(', ')}; ask an administrator for a key that has it (council keys create --scopes ${missing.join(',')})`,
    );
  }

  /** Forgets cached keys, so a key created or revoked in this process counts at once. */
  forget(): void {
    this.#cache.clear();
    this.#recent.clear();
  }

  /** The key with this hash, and when the store was asked for it. */
  async #lookup(hash: string): Promise<{ key: KeyRecord | undefined; at: number }> {
    const cached = this.#cache.get(hash);
    if (cached) return cached;
    const store = await this.store();
    const { timeoutMs, label } = this.#deadline;
    const at = Date.now();
    const key = await settleWithin(
      store.findByHash(hash),
      timeoutMs,
      () => new StorageError('unavailable', `${label} is unavailable (the key store did not answer a lookup within ${timeoutMs} ms)`),
    );
    // Unknown hashes are cached too, so a flood of made-up (well-formed) keys costs one lookup each per window.
    const found = { key, at };
    // For the rest of the window from when the store was asked, not from its answer: a slow
    // lookup that read the key just before it was revoked must not outlive the promise.
    this.#cache.set(hash, found, { ttl: Math.max(1, at + KEY_CACHE_MS - Date.now()) });
    return found;
  }

  #touch(key: KeyRecord): void {
    const last = this.#touched.get(key.id) ?? 0;
    if (Date.now() - last < TOUCH_EVERY_MS) return;
    this.#touched.set(key.id, Date.now());
    this.#uses.add([key.id, new Date().toISOString()]);
  }
}

/** `Authorization: Bearer <key>` or `X-API-Key: <key>`. */
/** The key a request presents (Bearer, else X-API-Key), as sent; never from the query string. */
export function presentedKey(headers: HeaderSource): string | undefined {
  const authorization = headers.get('authorization');
  if (authorization) {
    // The usual form, without a regular expression: this runs on every request.
    if (authorization.startsWith('Bearer ') && authorization.indexOf(' ', 7) === -1 && authorization.length > 7)
      return authorization.slice(7);
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return match?.[1];
  }
  return headers.get('x-api-key')?.trim() || undefined;
}

function unauthorized(): HttpProblem {
  return new HttpProblem(
    'unauthorized',
    'send a valid API key as `Authorization: Bearer <key>` or `X-API-Key: <key>`; an administrator creates keys with `council keys create`',
    { headers: CHALLENGE },
  );
}
