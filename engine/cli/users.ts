import { parseArgs } from 'node:util';
import { didYouMean } from '../errors/did-you-mean.ts';
import { checkNewUser, emailProblem, type NewUser, normalizeEmail } from '../security/console-user.ts';
import { SYSTEM_CONNECTION } from '../security/key-store.ts';
import { DuplicateEmailError, type ShownUser } from '../security/user-store.ts';
import { AdminAnswerError, callLocalServer, type LocalServer } from '../server/local-admin.ts';
import { usersFlags } from './flags.ts';
import { projectConfig, UsageError } from './options.ts';
import { isEmbedded, storeRoute } from './store-route.ts';

const ACTIONS = ['create', 'list', 'disable', 'reset'] as const;
type Action = (typeof ACTIONS)[number];

/**
 * Manages console users in the system store, as `council keys` manages keys: `create` and
 * `reset` print a one-time password once (only its hash is kept); with a server running
 * on the same data directory it goes through that server's admin API, otherwise it opens
 * the store itself.
 */
export async function usersCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: usersFlags });
  const [given, target, ...extra] = positionals;
  if (!ACTIONS.includes(given as Action)) {
    const named = given === undefined ? '' : `"${given}" is not one${didYouMean(given, [...ACTIONS])}; `;
    throw new UsageError(`${named}say create, list, disable or reset`);
  }
  const action = given as Action;
  if (extra.length || (target !== undefined && (action === 'create' || action === 'list'))) {
    throw new UsageError(`${action} takes ${action === 'create' ? 'the email as --email EMAIL' : 'no argument'}, not "${target}"`);
  }
  if (action !== 'create' && (values.role !== undefined || values['can-edit'] !== undefined)) {
    throw new UsageError('--role and --can-edit are for create only');
  }
  const request = action === 'create' ? createRequest(values) : undefined;
  const email = action === 'disable' || action === 'reset' ? existingEmail(action, target ?? values.email) : '';
  // Only --config and --data say where the project is: the manifest folder is never read.
  const config = projectConfig({ config: values.config, data: values.data });
  const route = await storeRoute(config);
  if (route.kind === 'busy' && isEmbedded(config, SYSTEM_CONNECTION)) {
    console.error(`council users: ${route.message}`);
    return 1;
  }
  let closeStore = async (): Promise<void> => {};
  try {
    let users: Users;
    // A server on this data directory holds the embedded store: ask it instead (it audits).
    if (route.kind === 'server') users = remoteUsers(route.server);
    else {
      // Loaded only here: opening the store needs its driver; asking a server does not.
      const local = await (await import('./local-users.ts')).openLocalUsers(config);
      users = local.users;
      closeStore = local.close;
    }
    return await run(users, action, request, email);
  } catch (error) {
    if (error instanceof DuplicateEmailError) {
      console.error(`council users: ${error.message}; see council users list`);
      return 1;
    }
    console.error(`council users: the system store (connection "${SYSTEM_CONNECTION}") could not be used: ${(error as Error).message}`);
    return 1;
  } finally {
    await closeStore();
  }
}

async function run(users: Users, action: Action, request: NewUser | undefined, email: string): Promise<number> {
  if (request) {
    const { password, user } = await users.create(request);
    console.log(password);
    console.error(
      `created user ${user.email}, ${roleText(user)}; the one-time password is shown only now and must be changed at first login`,
    );
    return 0;
  }
  if (action === 'list') {
    for (const user of await users.list()) console.log(describe(user));
    return 0;
  }
  if (action === 'disable') {
    const disabled = await users.disable(email);
    if (!disabled) return noSuchUser(email);
    console.log(`disabled ${disabled.email} (they can no longer log in)`);
    return 0;
  }
  const reset = await users.resetPassword(email);
  if (!reset) return noSuchUser(email);
  console.log(reset.password);
  const still = reset.user.disabledAt ? ' (the user stays disabled)' : '';
  console.error(`new one-time password for ${reset.user.email}${still}; it is shown only now and must be changed at first login`);
  return 0;
}

function noSuchUser(email: string): number {
  console.error(`council users: no user has the email ${email}; see council users list`);
  return 1;
}

function createRequest(values: { email?: unknown; role?: unknown; 'can-edit'?: unknown }): NewUser {
  const automations =
    typeof values['can-edit'] === 'string'
      ? values['can-edit']
          .split(',')
          .map((name) => name.trim())
          .filter(Boolean)
      : undefined;
  const checked = checkNewUser({ email: values.email, role: values.role, ...(automations ? { automations } : {}) });
  if ('problems' in checked) throw new UsageError(`create: ${checked.problems.join('; ')}`);
  return checked.user;
}

function existingEmail(action: Action, given: unknown): string {
  if (typeof given !== 'string' || given.trim() === '')
    throw new UsageError(`${action} needs the user's email, e.g. council users ${action} ann@example.com`);
  const email = normalizeEmail(given);
  const problem = emailProblem(email);
  if (problem) throw new UsageError(problem);
  return email;
}

/** `admin`, `editor of tickets,notes`, `editor of every automation`, `viewer`. */
function roleText(user: ShownUser): string {
  if (user.role !== 'editor') return user.role;
  return `editor of ${user.automations ? user.automations.join(',') : 'every automation'}`;
}

/** One line of `council users list`; never the hash (a ShownUser has none). */
function describe(user: ShownUser): string {
  const state = user.disabledAt ? `disabled ${user.disabledAt}` : user.mustChangePassword ? 'one-time password' : 'active';
  const automations = user.role === 'viewer' ? '-' : (user.automations?.join(',') ?? 'all');
  return [
    user.email,
    user.role,
    `automations ${automations}`,
    state,
    `last login ${user.lastLoginAt ?? 'never'}`,
    `created ${user.createdAt}`,
    `id ${user.id}`,
  ].join('  ');
}

/** What the command does with users, whether through a server or on the store itself; nothing it gets back has a hash. */
export interface Users {
  create(user: NewUser): Promise<{ password: string; user: ShownUser }>;
  list(): Promise<ShownUser[]>;
  disable(email: string): Promise<ShownUser | undefined>;
  resetPassword(email: string): Promise<{ password: string; user: ShownUser } | undefined>;
}

/** The same operations through a running server's `/admin/users`. */
function remoteUsers(server: LocalServer): Users {
  const call = (method: string, path: string, body?: unknown) => callLocalServer(server, method, path, body);
  return {
    async create(user) {
      try {
        const json = await call('POST', '/users', user);
        return { password: json?.password as string, user: json?.data as ShownUser };
      } catch (error) {
        // The server's 409 is the same refusal the store makes locally.
        if (error instanceof AdminAnswerError && error.status === 409) throw new DuplicateEmailError(user.email);
        throw error;
      }
    },
    async list() {
      return ((await call('GET', '/users'))?.data ?? []) as ShownUser[];
    },
    async disable(email) {
      return (await call('POST', '/users/disable', { email }))?.data as ShownUser | undefined;
    },
    async resetPassword(email) {
      const json = await call('POST', '/users/reset', { email });
      return json ? { password: json.password as string, user: json.data as ShownUser } : undefined;
    },
  };
}
