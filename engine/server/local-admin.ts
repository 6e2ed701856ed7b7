import { randomBytes, timingSafeEqual } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type LockHolder, lockHolder } from '../registry/data-dir-lock.ts';
import type { HeaderSource } from '../request/request-header.ts';
import { type Authenticator, presentedKey } from '../security/authenticator.ts';

/**
 * A server running on a data directory, as local tools reach it: the pid, loopback URL
 * and admin token it wrote into the directory's lock file (see data-dir-lock.ts).
 */
export interface LocalServer {
  readonly pid: number;
  readonly url: string;
  readonly token: string;
}

/** Who holds a data directory: nobody, a server local tools can call, or another process (a command, or a server not listening yet). */
export type DataDirOwner =
  | { readonly kind: 'free' }
  | { readonly kind: 'server'; readonly server: LocalServer; readonly holder: LockHolder }
  | { readonly kind: 'other'; readonly holder: LockHolder };

/** How long a tool waits for a server that holds the lock to publish its URL (it does so right after binding its port). */
const PUBLISH_WAIT_MS = 5000;
/** How long a tool waits for a starting server to be ready (PGlite creating its database takes seconds on a first start). */
const STARTING_WAIT_MS = 60_000;
/** The deadline of one call to the admin API. */
const CALL_TIMEOUT_MS = 30_000;

export function newLocalToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Who holds `dataDir` now; a server that has just taken the lock is given a moment to publish where it listens. */
export async function dataDirOwner(dataDir: string): Promise<DataDirOwner> {
  const deadline = Date.now() + PUBLISH_WAIT_MS;
  for (;;) {
    const holder = lockHolder(dataDir);
    if (!holder) return { kind: 'free' };
    if (holder.url && holder.token) return { kind: 'server', holder, server: { pid: holder.pid, url: holder.url, token: holder.token } };
    if (holder.command !== 'council serve' || Date.now() > deadline) return { kind: 'other', holder };
    await sleep(50);
  }
}

/**
 * Calls the running server's `/admin` API with its local token. Resolves the JSON body,
 * or undefined on 404; rejects on any other failure, with the server's `detail`. While
 * the server is starting (503 `server-starting`) it waits, up to a minute.
 */
export async function callLocalServer(
  server: LocalServer,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ data?: unknown; secret?: string; password?: string; warnings?: string[]; detail?: string } | undefined> {
  const startedWaiting = Date.now();
  for (;;) {
    let response: Response;
    try {
      response = await fetch(`${server.url}/admin${path}`, {
        method,
        headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
      });
    } catch (error) {
      const why = (error as Error).name === 'TimeoutError' ? `no answer within ${CALL_TIMEOUT_MS / 1000} s` : (error as Error).message;
      throw new Error(`the running server at ${server.url} (pid ${server.pid}) could not be reached: ${why}`);
    }
    const json = (await response.json().catch(() => ({}))) as { data?: unknown; secret?: string; detail?: string; code?: string };
    if (response.status === 503 && json.code === 'server-starting' && Date.now() - startedWaiting < STARTING_WAIT_MS) {
      await sleep(Number(response.headers.get('retry-after') ?? 1) * 1000);
      continue;
    }
    if (response.status === 404) return undefined;
    if (!response.ok)
      throw new AdminAnswerError(response.status, `the running server at ${server.url} answered ${response.status}: ${json.detail ?? ''}`);
    return json;
  }
}

/** An answer of the admin API other than 2xx or 404, with its status (a 409 is the caller's to explain). */
export class AdminAnswerError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Lets through the server's local token or an API key with scope `*`; anything else is refused (401, 403) as on every route. */
export async function authorizeAdmin(headers: HeaderSource, auth: Authenticator, localToken: string): Promise<void> {
  const key = presentedKey(headers);
  if (key !== undefined && sameToken(key, localToken)) return;
  auth.authorize(await auth.authenticate(headers), ['*']);
}

export function sameToken(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
