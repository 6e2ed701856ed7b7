import type { Role } from '../security/console-user.ts';

/** Who may call a console route: `anyone` (signing in, assets), or a signed-in user with at least this role. */
export type Need = 'anyone' | Role;

/** Roles from least to most: each may do what the ones before it may. */
const RANK: Readonly<Record<Need, number>> = { anyone: 0, viewer: 1, editor: 2, admin: 3 };

/** Whether a user with `role` may call a route that needs `need`. */
export function allows(role: Role, need: Need): boolean {
  return RANK[role] >= RANK[need];
}

/**
 * Every console route (below `/console`) and the least role it needs: the console
 * registers its handlers only through this table (console-app.ts `on`), and the tests
 * walk it, so no route exists whose guard was not chosen here and checked there.
 */
export const CONSOLE_ROUTES = {
  'GET /assets/:file': 'anyone',
  'GET /login': 'anyone',
  'POST /login': 'anyone',
  'POST /logout': 'viewer',
  'GET /password': 'viewer',
  'POST /password': 'viewer',
  'GET /': 'viewer',
  'GET /automations': 'viewer',
  'GET /automations/:name': 'viewer',
  'POST /automations/:name/try': 'viewer',
  'GET /automations/:name/edit': 'editor',
  'POST /automations/:name/edit': 'editor',
  'POST /automations/:name/check': 'editor',
  'POST /new/check': 'editor',
  'GET /automations/:name/configure': 'editor',
  'POST /automations/:name/configure': 'editor',
  'GET /new': 'editor',
  'POST /new': 'editor',
  'POST /new/yaml': 'editor',
  'GET /usage': 'viewer',
  'GET /audit': 'editor',
  'GET /keys': 'editor',
  'POST /keys': 'editor',
  'POST /keys/:id/revoke': 'editor',
  'GET /keys/:id': 'editor',
  'GET /users': 'admin',
  'POST /users': 'admin',
  'POST /users/:id/disable': 'admin',
  'POST /users/:id/enable': 'admin',
  'POST /users/:id/reset': 'admin',
  'POST /users/:id/sessions/revoke': 'admin',
} as const satisfies Record<string, Need>;

export type RouteKey = keyof typeof CONSOLE_ROUTES;

/**
 * Whether a user may change automation `name`: an admin any, an editor those it was given
 * (all when it was given none). A viewer none.
 */
export function mayEdit(user: { readonly role: Role; readonly automations?: readonly string[] }, name: string): boolean {
  if (user.role === 'admin') return true;
  return user.role === 'editor' && (!user.automations || user.automations.includes(name));
}

/** Whether a user may add automations: an admin, or an editor not limited to some. */
export function mayCreate(user: { readonly role: Role; readonly automations?: readonly string[] }): boolean {
  return user.role === 'admin' || (user.role === 'editor' && !user.automations);
}
