import type { Context } from 'hono';

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
  /** Any other path under the automation, or a method it does not answer there: 404 or 405, saying what it does answer. */
  readonly unmatched: RouteHandler;
}

/**
 * What an automation's request carries through the shared router: the Node server's
 * incoming message (the client's address, the raw headers) and the table of the
 * automation the first path segment named.
 */
export interface AutomationEnv {
  Bindings: { readonly incoming?: unknown; readonly outgoing?: unknown; readonly routes: RouteTable };
}
