import { createHash } from 'node:crypto';
import { type RecordStore, StorageError, type StorageSpec, type StoredRecord } from '../../adapters/types.ts';
import { HttpProblem } from '../errors/problem.ts';
import { openOnce } from '../registry/open-once.ts';
import { settleWithin } from '../request/deadline.ts';

/** Where claimed keys and the answers they got are kept: the system store, or the connection `idempotency.store` names. */
export const IDEMPOTENCY_SPEC: StorageSpec = {
  automation: '_council-idempotency',
  collection: '_council_idempotency',
  fields: [
    { name: 'fingerprint', kind: 'string' },
    { name: 'state', kind: 'string' },
    { name: 'status', kind: 'integer' },
    { name: 'body', kind: 'string' },
    { name: 'headers', kind: 'json' },
    { name: 'expiresAt', kind: 'string' },
  ],
  filterable: [],
  sortable: ['createdAt'],
};

/** Printable ASCII, as the IETF Idempotency-Key draft and the usual UUIDs need. */
const KEY = /^[\x21-\x7e]{1,255}$/;
/** A claim still pending after this long was left by a request that died: it may be taken over. */
const ABANDONED_MS = 5 * 60_000;
/** Headers of a stored answer that a replay sends again. */
const KEPT_HEADERS = ['location', 'etag'] as const;

export interface IdempotencyScope {
  readonly automation: string;
  /** Keys are per caller: the API key's id, or `anonymous`. */
  readonly actor: string;
  readonly key: string;
}

/**
 * Idempotency-Key on POST and PATCH: the first request with a key claims it (a create
 * of a record whose id is derived from automation, caller and key, which every store
 * refuses to overwrite), runs, and stores its successful answer; a retry with the same
 * key and the same body within the window gets that answer again and writes nothing. The
 * same key with another body is a 422; while the first is still running, a 409.
 *
 * Each call to the key's store waits at most `timeoutMs`: a store that does not answer in
 * time before the write is a 503 and nothing is written (a claim it takes later is released
 * as soon as it answers, so a retry with the same key is not told the first still runs);
 * after the write, the answer is sent without waiting for it to be kept.
 */
export class Idempotency {
  readonly #open: () => Promise<RecordStore>;
  readonly #windowMs: number;
  readonly #deadline: { readonly timeoutMs: number; readonly label: string };

  /** `deadline.label` names the store's connection in the 503 past `deadline.timeoutMs`. */
  constructor(
    open: () => Promise<RecordStore>,
    windowSeconds: number,
    deadline: { timeoutMs: number; label: string } = { timeoutMs: 2000, label: 'the idempotency store' },
  ) {
    this.#open = openOnce(open);
    this.#windowMs = windowSeconds * 1000;
    this.#deadline = deadline;
  }

  /** `work`, or a 503 once the deadline passes (work runs on). */
  #within<T>(work: Promise<T>): Promise<T> {
    const { timeoutMs, label } = this.#deadline;
    return settleWithin(
      work,
      timeoutMs,
      () => new StorageError('unavailable', `${label} is unavailable (the idempotency store did not answer within ${timeoutMs} ms)`),
    );
  }

  async run(scope: IdempotencyScope, request: string, execute: () => Promise<Response>): Promise<Response> {
    if (!KEY.test(scope.key)) {
      throw new HttpProblem(
        'invalid-header',
        'Idempotency-Key must be 1 to 255 printable ASCII characters without spaces, e.g. a UUID; send a new one for each distinct write',
      );
    }
    // Opened on first use, and again after a failed open.
    const store = await this.#open();
    const id = claimId(scope);
    const fingerprint = createHash('sha256').update(request).digest('hex');
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = Date.now();
      const claim = {
        id,
        createdAt: new Date(now).toISOString(),
        updatedAt: new Date(now).toISOString(),
        fingerprint,
        state: 'pending',
        expiresAt: new Date(now + this.#windowMs).toISOString(),
      };
      const claiming = store.create(claim);
      try {
        await this.#within(claiming);
      } catch (error) {
        if (error instanceof StorageError && error.kind === 'unavailable') {
          // Refused for lateness: if the store takes the claim after all, it is released.
          claiming.then(() => store.delete(id)).catch(() => {});
        }
        if (!(error instanceof StorageError && error.kind === 'conflict' && error.field === 'id')) throw error;
        const existing = await this.#within(Promise.resolve(store.get(id)));
        if (existing === undefined) continue;
        const expired = Date.parse(String(existing.expiresAt)) <= now;
        const abandoned = existing.state === 'pending' && Date.parse(existing.updatedAt) + ABANDONED_MS <= now;
        if (expired || abandoned) {
          await this.#within(store.delete(id));
          continue;
        }
        return answerFor(existing, fingerprint);
      }
      return this.#execute(store, id, execute);
    }
    throw new HttpProblem(
      'idempotency-in-progress',
      'this Idempotency-Key is being claimed by another request right now; retry after the delay in Retry-After',
      {
        headers: { 'retry-after': '1' },
      },
    );
  }

  async #execute(store: RecordStore, id: string, execute: () => Promise<Response>): Promise<Response> {
    let response: Response;
    try {
      response = await execute();
    } catch (error) {
      // Nothing was written: the key is free for a retry that fixes the request.
      await this.#within(store.delete(id)).catch(() => {});
      throw error;
    }
    if (response.status >= 300) {
      await this.#within(store.delete(id)).catch(() => {});
      return response;
    }
    const body = await response.clone().text();
    const headers = Object.fromEntries(
      KEPT_HEADERS.flatMap((name) => (response.headers.has(name) ? [[name, response.headers.get(name)]] : [])),
    );
    // The write is done: its answer goes out even if the store is slow to keep it (a retry
    // meanwhile is told the first request still runs, then gets the kept answer).
    await this.#within(
      store.modify(id, (claim) => ({
        ...claim,
        updatedAt: new Date().toISOString(),
        state: 'done',
        status: response.status,
        body,
        headers,
      })),
    ).catch(() => {});
    return response;
  }
}

function answerFor(existing: StoredRecord, fingerprint: string): Response {
  if (existing.fingerprint !== fingerprint) {
    throw new HttpProblem(
      'idempotency-key-reused',
      'this Idempotency-Key was already used for a different request (another body or path); use a new key for a new write, or resend the first request unchanged',
    );
  }
  if (existing.state !== 'done') {
    throw new HttpProblem(
      'idempotency-in-progress',
      'the first request with this Idempotency-Key is still running; retry after the delay in Retry-After to get its answer',
      {
        headers: { 'retry-after': '1' },
      },
    );
  }
  const headers = { 'content-type': 'application/json', 'idempotent-replayed': 'true', ...(existing.headers as Record<string, string>) };
  return new Response(String(existing.body), { status: Number(existing.status), headers });
}

/** A UUID derived from the scope: stores that index ids as UUIDs take it, and no two scopes share one. */
function claimId(scope: IdempotencyScope): string {
  const hex = createHash('sha256').update(`${scope.automation}\0${scope.actor}\0${scope.key}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((Number.parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
