import { parseArgs } from 'node:util';
import { didYouMean } from '../errors/did-you-mean.ts';
import { SCOPE_PATTERN } from '../schema/scopes.ts';
import { KEY_NOTE_MAX, type KeyRecord, type KeyStore, SYSTEM_CONNECTION } from '../security/key-store.ts';
import { callLocalServer, type LocalServer } from '../server/local-admin.ts';
import { keysFlags } from './flags.ts';
import { projectConfig, UsageError } from './options.ts';
import { isEmbedded, storeRoute } from './store-route.ts';

/**
 * Manages API keys in the system store. `create` prints the key once; only its hash is
 * kept. With a server running on the same data directory it goes through that server's
 * admin API (PGlite allows one process at a time); otherwise it opens the store itself.
 */
export async function keysCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: keysFlags,
  });
  const [action, target] = positionals;
  if (action !== 'create' && action !== 'list' && action !== 'revoke') {
    const given = action === undefined ? '' : `"${action}" is not one${didYouMean(action, ['create', 'list', 'revoke'])}; `;
    throw new UsageError(`${given}say create, list or revoke`);
  }
  const request = action === 'create' ? createRequest(values) : undefined;
  if (action === 'revoke' && !target) throw new UsageError('revoke needs the id or the ck_… display of a key (see council keys list)');
  const config = projectConfig(values);
  const route = await storeRoute(config);
  // A running server checks the scopes against what it serves; else the manifests are loaded here.
  if (request && route.kind !== 'server') warn((await import('./scope-check.ts')).projectScopeWarnings(config, request.scopes));
  if (route.kind === 'busy' && isEmbedded(config, SYSTEM_CONNECTION)) {
    console.error(`council keys: ${route.message}`);
    return 1;
  }
  let closeStore = async (): Promise<void> => {};
  try {
    let store: Keys;
    // A server on this data directory holds the embedded store: ask it instead (it audits).
    if (route.kind === 'server') store = remoteKeys(route.server);
    else {
      // Loaded only here: opening the store needs its driver; asking a server does not.
      const local = await (await import('./local-keys.ts')).openLocalKeys(config);
      store = local.keys;
      closeStore = local.close;
    }
    if (request) {
      const { secret, key, warnings } = await store.create(request);
      warn(warnings ?? []);
      console.log(secret);
      console.error(
        `created key ${key.display} "${key.name}" with scopes ${key.scopes.join(',')}${key.expiresAt ? `, expiring ${key.expiresAt}` : ''}; it is shown only now`,
      );
      return 0;
    }
    if (action === 'list') {
      for (const key of await store.list()) console.log(describe(key));
      return 0;
    }
    const revoked = await store.revoke(target as string);
    if (!revoked) {
      console.error(`no key has the id or display "${target}"; see council keys list`);
      return 1;
    }
    console.log(`revoked ${revoked.display} "${revoked.name}" (requests with it are refused within seconds)`);
    return 0;
  } catch (error) {
    console.error(`council keys: the system store (connection "${SYSTEM_CONNECTION}") could not be used: ${(error as Error).message}`);
    return 1;
  } finally {
    await closeStore();
  }
}

function warn(warnings: readonly string[]): void {
  for (const warning of warnings) console.error(`council keys: warning: ${warning}; the key is made anyway`);
}

function createRequest(values: Record<string, unknown>): { name: string; scopes: string[]; expiresAt?: string; note?: string } {
  const name = typeof values.name === 'string' ? values.name.trim() : '';
  if (!name) throw new UsageError('create needs --name, e.g. --name "support GPT"');
  const note = typeof values.note === 'string' ? values.note.trim() : '';
  if (note.length > KEY_NOTE_MAX) throw new UsageError(`--note takes at most ${KEY_NOTE_MAX} characters`);
  const noted = note ? { note } : {};
  const scopes = typeof values.scopes === 'string' ? values.scopes.split(',').map((s) => s.trim()) : [];
  const bad = scopes.filter((s) => !SCOPE_PATTERN.test(s));
  if (scopes.length === 0 || bad.length) {
    throw new UsageError(
      `--scopes takes NAME:read, NAME:write, NAME:delete, NAME:* or *, comma-separated${bad.length ? `; not a scope: ${bad.join(', ')}` : ''}`,
    );
  }
  if (typeof values.expires !== 'string') return { name, scopes, ...noted };
  const match = /^(\d+)([dh])$/.exec(values.expires);
  if (!match) throw new UsageError('--expires takes a number of days or hours, e.g. 30d or 12h');
  const ms = Number(match[1]) * (match[2] === 'd' ? 86_400_000 : 3_600_000);
  return { name, scopes, expiresAt: new Date(Date.now() + ms).toISOString(), ...noted };
}

function describe(key: KeyRecord): string {
  const state = key.revokedAt
    ? `revoked ${key.revokedAt}`
    : key.expiresAt && key.expiresAt <= new Date().toISOString()
      ? 'expired'
      : 'active';
  const parts = [
    key.display,
    `"${key.name}"`,
    ...(key.note ? [`(${key.note})`] : []),
    key.scopes.join(','),
    `created ${key.createdAt}`,
    `last used ${key.lastUsedAt ?? 'never'}`,
    `expires ${key.expiresAt ?? 'never'}`,
    state,
    `id ${key.id}`,
  ];
  return parts.join('  ');
}

/** The key store's operations the command uses; created through a server, a key comes with that server's scope warnings. */
export type Keys = Pick<KeyStore, 'list' | 'revoke'> & {
  create(request: Parameters<KeyStore['create']>[0]): Promise<Awaited<ReturnType<KeyStore['create']>> & { warnings?: string[] }>;
};

/** The same operations through a running server's `/admin/keys`. */
function remoteKeys(server: LocalServer): Keys {
  const call = (method: string, path: string, body?: unknown) => callLocalServer(server, method, path, body);
  return {
    async create(request) {
      const json = await call('POST', '/keys', request);
      return { secret: json?.secret as string, key: json?.data as KeyRecord, warnings: json?.warnings ?? [] };
    },
    async list() {
      return ((await call('GET', '/keys'))?.data ?? []) as KeyRecord[];
    },
    async revoke(which) {
      return (await call('POST', '/keys/revoke', { key: which }))?.data as KeyRecord | undefined;
    },
  };
}
