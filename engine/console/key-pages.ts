import type { Context } from 'hono';
import type { UsageAnalytics } from '../analytics/usage-analytics.ts';
import type { AutomationRegistry } from '../registry/registry.ts';
import { grantsAll, SCOPE_PATTERN } from '../schema/scopes.ts';
import type { AuditLog } from '../security/audit-log.ts';
import type { Authenticator } from '../security/authenticator.ts';
import { KEY_NOTE_MAX } from '../security/key-store.ts';
import { scopeWarnings } from '../security/scope-warnings.ts';
import type { UserRecord } from '../security/user-store.ts';
import { actorOf, type ConsoleEnv } from './console-env.ts';
import type { On } from './on.ts';
import { KeyPage } from './pages/key.tsx';
import { type KeysOutcome, KeysPage } from './pages/keys.tsx';
import { render } from './render.ts';
import { mayEdit } from './routes.ts';
import type { ConsoleStores } from './stores.ts';

/**
 * API keys in the console: admins manage every key; an editor makes keys with scopes on
 * the automations it may edit only, and revokes only keys whose every scope is such a
 * one. A new key's secret is on the answer to the form, once. Audited like the CLI's.
 */
export function addKeyPages(
  on: On,
  parts: {
    registry: AutomationRegistry;
    auth: Authenticator;
    stores: ConsoleStores;
    audit: AuditLog;
    analytics: UsageAnalytics | undefined;
  },
) {
  const { registry, auth, stores, audit, analytics } = parts;
  const page = async (c: Context<ConsoleEnv>, outcome?: KeysOutcome, status: 200 | 201 | 400 | 403 | 404 = 200) => {
    const user = c.get('user');
    const keys = await stores.keys((k) => k.list());
    // Requests per key name over 30 days, when the analytics are on.
    let requests: Map<string, number> | undefined;
    if (analytics) {
      const to = Date.now();
      const report = await analytics.report({ from: to - 30 * 86_400_000, to, top: Math.max(10, keys.length) });
      requests = new Map(report.top.keys.map((k) => [k.key, k.requests]));
    }
    const grantable = registry
      .serving()
      .map((m) => m.plan.name)
      .filter((name) => mayEdit(user, name))
      .sort();
    return render(
      c,
      KeysPage({
        user,
        csrf: c.get('session').csrf,
        keys: keys.reverse(),
        grantable,
        anyScope: user.role === 'admin',
        mayRevoke: (key) => mayGrantAll(user, key.scopes),
        ...(requests ? { requests } : {}),
        ...(outcome ? { outcome } : {}),
      }),
      status,
    );
  };
  on('GET /keys', (c) => page(c));
  on('POST /keys', async (c) => {
    const user = c.get('user');
    const form = await c.req.parseBody({ all: true });
    const name = typeof form.name === 'string' ? form.name.trim() : '';
    const picked = ([] as unknown[]).concat(form.scope ?? []).filter((s): s is string => typeof s === 'string');
    const other = typeof form.otherScopes === 'string' ? form.otherScopes.split(/[\s,]+/).filter(Boolean) : [];
    const scopes = [...new Set([...picked, ...other])];
    const expires = typeof form.expires === 'string' ? form.expires : '';
    const note = typeof form.note === 'string' ? form.note.trim() : '';
    const problems: string[] = [];
    if (!name || name.length > 100) problems.push('a key needs a name of 1 to 100 characters (who or what uses it)');
    if (note.length > KEY_NOTE_MAX) problems.push(`a note has at most ${KEY_NOTE_MAX} characters`);
    if (scopes.length === 0) problems.push('pick at least one scope');
    const malformed = scopes.filter((s) => !SCOPE_PATTERN.test(s));
    if (malformed.length)
      problems.push(`not scopes: ${malformed.join(', ')} (a scope is *, NAME:*, or NAME:read, NAME:write, NAME:delete)`);
    const beyond = scopes.filter((s) => SCOPE_PATTERN.test(s) && !mayGrantAll(user, [s]));
    if (beyond.length) problems.push(`you may not grant ${beyond.join(', ')}: only scopes on the automations you may edit`);
    const expiresAt = expires ? endOfDay(expires) : undefined;
    if (expires && (!expiresAt || expiresAt <= new Date().toISOString()))
      problems.push('the expiry is a date in the future (or empty: never)');
    if (problems.length) return page(c, { error: `No key made: ${problems.join('; ')}.` }, 400);
    const { secret, key } = await stores.keys((k) =>
      k.create({ name, scopes, ...(expiresAt ? { expiresAt } : {}), ...(note ? { note } : {}) }),
    );
    audit.record({ actor: actorOf(user), action: 'key.create', outcome: 'ok', detail: `${key.display} ${key.scopes.join(',')}` });
    const warnings = scopeWarnings(
      registry.serving().map((m) => m.plan),
      key.scopes,
    );
    return page(c, { secret: { name: key.name, secret, warnings } }, 201);
  });
  on('GET /keys/:id', async (c) => {
    const key = await stores.keys(async (k) => k.get(c.req.param('id') ?? ''));
    if (!key) return page(c, { error: 'No such key.' }, 404);
    const plans = registry.serving().map((m) => m.plan);
    const reach = plans
      .map((plan) => ({
        automation: plan.name,
        operations: plan.endpoints
          .filter((e) => e.access.public || grantsAll(key.scopes, e.access.scopes))
          .map((e) => ({ operation: e.operation, request: `${e.method} ${e.path}` })),
      }))
      .filter((r) => r.operations.length > 0)
      .sort((a, b) => a.automation.localeCompare(b.automation));
    let unused: string[] | undefined;
    let requests30d: number | undefined;
    if (analytics) {
      const to = Date.now();
      const report = await analytics.report({ from: to - 30 * 86_400_000, to, key: key.name, top: 10_000 });
      requests30d = report.totals.requests;
      // The scopes each endpoint that answered this key needed; a held scope is used when it grants one of them.
      const needed = report.top.operations.flatMap(
        (o) => plans.find((p) => p.name === o.automation)?.endpoints.find((e) => e.operation === o.operation)?.access.scopes ?? [],
      );
      unused = key.scopes.filter((held) => !needed.some((scope) => grantsAll([held], [scope])));
    }
    const frame = { user: c.get('user'), csrf: c.get('session').csrf };
    return render(
      c,
      KeyPage({ ...frame, keyRecord: key, reach, ...(unused ? { unused } : {}), ...(requests30d !== undefined ? { requests30d } : {}) }),
    );
  });
  on('POST /keys/:id/revoke', async (c) => {
    const user = c.get('user');
    const id = c.req.param('id') ?? '';
    const key = await stores.keys(async (k) => k.get(id));
    if (!key) return page(c, { error: 'No such key.' }, 404);
    if (!mayGrantAll(user, key.scopes)) {
      return page(c, { error: `You may not revoke ${key.name}: it has scopes beyond the automations you may edit.` }, 403);
    }
    const revoked = await stores.keys((k) => k.revoke(key.id));
    // Refused from the next request on, in this process.
    auth.forget();
    audit.record({ actor: actorOf(user), action: 'key.revoke', outcome: 'ok', detail: revoked?.display ?? key.display });
    return page(c, { done: `${key.name} (${key.display}) is revoked: requests with it are refused from now on.` });
  });
}

/** Whether `user` may grant (and so revoke) every scope listed: an admin any; an editor `NAME:…` on automations it may edit. */
function mayGrantAll(user: UserRecord, scopes: readonly string[]): boolean {
  if (user.role === 'admin') return true;
  return scopes.every((scope) => {
    const colon = scope.indexOf(':');
    return colon > 0 && mayEdit(user, scope.slice(0, colon));
  });
}

/** `2027-01-31` → the last millisecond of that day, UTC; undefined for anything else. */
function endOfDay(date: string): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return undefined;
  const time = Date.parse(`${date}T23:59:59.999Z`);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}
