import type { Context } from 'hono';
import type { EndpointLabel } from '../observe/usage.ts';

/** A handler's answer: a Response at once when nothing had to wait, else a promise of one. */
export type RouteHandler = (c: Context) => Response | Promise<Response>;

/**
 * One bound automation's handlers by the shape of the path under its base path and by
 * method (HEAD is answered by GET). One shared router matches the shape for every
 * automation; the table says what this automation does there.
 */
export interface RouteTable {
  /** `/<automation>`: list, create. */
  readonly collection: ReadonlyMap<string, RouteHandler>;
  /** `/<automation>/<id>`: get, update, replace, delete. */
  readonly item: ReadonlyMap<string, RouteHandler>;
  /** `/<automation>/search`, when it declares search (otherwise `search` is an id like any other). */
  readonly search?: ReadonlyMap<string, RouteHandler>;
  /** `/<automation>/batch`, when it declares batch (otherwise `batch` is an id like any other). */
  readonly batch?: ReadonlyMap<string, RouteHandler>;
  /**
   * Its reverse lists, by `<referred automation>/<inverse>`: `GET /accounts/{id}/tickets`
   * is answered by the tickets table's `accounts/tickets` entry, under tickets' own list guards.
   */
  readonly inverse?: ReadonlyMap<string, RouteHandler>;
  /** Any other path under the automation, or a method it does not answer there: 404 or 405, saying what it does answer. */
  readonly unmatched: RouteHandler;
}

/**
 * What an automation's request carries through the shared router (its Hono `env`): the
 * Node server's incoming message (the client's address, the raw headers), the table of
 * the automation the first path segment named, and what the guards and handler learn on
 * the way, for the request's usage record (observe/usage.ts) once it is answered.
 */
export class RequestScope {
  /** The endpoint that answered, set by its guards before they decide. */
  endpoint: EndpointLabel | undefined = undefined;
  /** The name of the caller's key, once known. */
  caller: string | undefined = undefined;
  /**
   * The scopes of the caller's key, once its guards let the request through (undefined
   * without a key): what it may read of other automations (`?expand=`) is decided by them.
   */
  granted: readonly string[] | undefined = undefined;
  /**
   * The body the handler answered with (none for a problem answer): its bytes are counted
   * once it is answered, and only when something reads them (metrics, analytics, access log).
   */
  body: string | undefined = undefined;
  readonly incoming: unknown;
  readonly outgoing: unknown;

  constructor(
    node: { incoming?: unknown; outgoing?: unknown } | undefined,
    readonly routes: RouteTable,
    /** `performance.now()` when the engine took the request (0 when nothing reads durations). */
    readonly started: number,
  ) {
    this.incoming = node?.incoming;
    this.outgoing = node?.outgoing;
  }
}

export interface AutomationEnv {
  Bindings: RequestScope;
}

/** The scope of an automation request (undefined on the engine's own routes). */
export function scopeOf(c: Context): RequestScope | undefined {
  return c.env instanceof RequestScope ? c.env : undefined;
}
