import { Hono } from 'hono';
import type { UsageQuery } from '../analytics/report.ts';
import { timeFromText } from '../analytics/time-text.ts';
import type { UsageAnalytics } from '../analytics/usage-analytics.ts';
import type { Step } from '../analytics/usage-rows.ts';
import type { AutomationPlan } from '../compile/plan.ts';
import { HttpProblem } from '../errors/problem.ts';
import type { ConnectionPool } from '../registry/connections.ts';
import { SCOPE_PATTERN } from '../schema/scopes.ts';
import type { AuditLog } from '../security/audit-log.ts';
import type { Authenticator } from '../security/authenticator.ts';
import { KEY_NOTE_MAX, type KeyRecord } from '../security/key-store.ts';
import { scopeWarnings } from '../security/scope-warnings.ts';
import { addPlanRoute } from './admin-plan.ts';
import { addUserRoutes } from './admin-users.ts';
import { sameToken } from './local-admin.ts';

/** Who called: `cli` (the local token) or the key's id. */
export type AdminEnv = { Variables: { actor: string } };

/**
 * `/admin`: key management (`/admin/keys`), console users (`/admin/users`), the audit log
 * (`/admin/audit`) and storage plans (`/admin/storage/plan`) through a running server, for
 * `council keys`, `users`, `audit`, `migrate --dry-run` and `validate` (which cannot open
 * an embedded store the server holds) and later the console. Allowed with the server's
 * local admin token (readable only from its data directory's lock file) or an API key
 * with scope `*`.
 */
export function adminRoutes(
  auth: Authenticator,
  audit: AuditLog,
  localToken: string,
  connections: ConnectionPool,
  plans: () => readonly AutomationPlan[],
  analytics: UsageAnalytics | undefined,
): Hono<AdminEnv> {
  const app = new Hono<AdminEnv>();
  app.use('*', async (c, next) => {
    const presented = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
    if (presented && sameToken(presented, localToken)) {
      c.set('actor', 'cli');
    } else {
      let actor = 'anonymous';
      try {
        const principal = await auth.authenticate(c.req.raw.headers);
        actor = principal.keyId;
        auth.authorize(principal, ['*']);
      } catch (error) {
        audit.record({
          actor,
          action: `admin ${c.req.method} ${c.req.path}`,
          outcome: 'denied',
          ...(error instanceof HttpProblem ? { status: error.status } : {}),
        });
        throw error;
      }
      c.set('actor', actor);
    }
    await next();
  });
  app.get('/audit', async (c) => {
    const since = c.req.query('since');
    const automation = c.req.query('automation');
    const limit = Number(c.req.query('limit') ?? 100);
    if ((since !== undefined && Number.isNaN(Date.parse(since))) || !(Number.isSafeInteger(limit) && limit >= 1 && limit <= 1000)) {
      throw new HttpProblem('invalid-query', 'since must be an ISO time and limit an integer from 1 to 1000');
    }
    const query = { limit, ...(since ? { since: new Date(since).toISOString() } : {}), ...(automation ? { automation } : {}) };
    return c.json({ data: await audit.list(query) });
  });
  addPlanRoute(app, connections);
  addUserRoutes(app, connections, audit);
  app.get('/analytics', async (c) => {
    if (!analytics) throw new HttpProblem('not-found', 'usage analytics are off on this server (analytics.enabled: false in its config)');
    return c.json({ data: await analytics.report(analyticsQuery((name) => c.req.query(name))) });
  });
  app.get('/keys', async (c) => c.json({ data: (await (await auth.store()).list()).map(shown) }));
  app.post('/keys', async (c) => {
    const body = (await c.req.json().catch(() => null)) as { name?: unknown; scopes?: unknown; expiresAt?: unknown; note?: unknown } | null;
    const scopes = Array.isArray(body?.scopes) ? body.scopes : [];
    const valid =
      typeof body?.name === 'string' &&
      body.name.trim() !== '' &&
      scopes.length > 0 &&
      scopes.every((s) => typeof s === 'string' && SCOPE_PATTERN.test(s)) &&
      (body.expiresAt === undefined || (typeof body.expiresAt === 'string' && !Number.isNaN(Date.parse(body.expiresAt)))) &&
      (body.note === undefined || (typeof body.note === 'string' && body.note.length <= KEY_NOTE_MAX));
    if (!valid || !body) {
      throw new HttpProblem(
        'validation-failed',
        `send { "name": "...", "scopes": ["NAME:read", ...], "expiresAt"?: ISO time, "note"?: at most ${KEY_NOTE_MAX} characters }`,
      );
    }
    const note = typeof body.note === 'string' ? body.note.trim() : '';
    const request = { name: (body.name as string).trim(), scopes: scopes as string[], ...(note ? { note } : {}) };
    const { secret, key } = await (await auth.store()).create(
      typeof body.expiresAt === 'string' ? { ...request, expiresAt: new Date(body.expiresAt).toISOString() } : request,
    );
    audit.record({ actor: c.get('actor'), action: 'key.create', outcome: 'ok', detail: `${key.display} ${key.scopes.join(',')}` });
    // Checked against what this server serves, so `council keys create` need not load every manifest.
    return c.json({ data: shown(key), secret, warnings: scopeWarnings(plans(), key.scopes) }, 201);
  });
  app.post('/keys/revoke', async (c) => {
    const body = (await c.req.json().catch(() => null)) as { key?: unknown } | null;
    if (typeof body?.key !== 'string') throw new HttpProblem('validation-failed', 'send { "key": "<id or ck_… display>" }');
    const revoked = await (await auth.store()).revoke(body.key);
    if (!revoked) throw new HttpProblem('not-found', `no key has the id or display "${body.key}"; GET /admin/keys lists them`);
    // Refused from the next request on, in this process.
    auth.forget();
    audit.record({ actor: c.get('actor'), action: 'key.revoke', outcome: 'ok', detail: revoked.display });
    return c.json({ data: shown(revoked) });
  });
  return app;
}

const STEPS: readonly Step[] = ['minute', 'hour', 'day'];
/** The longest range one report reads. */
const MAX_RANGE_MS = 400 * 86_400_000;

/**
 * `?from=&to=&step=&automation=&key=&top=`: ISO times (or a duration back from now for
 * `from`: 30m, 24h, 7d); `to` defaults to now and `from` to a day before `to`.
 */
export function analyticsQuery(param: (name: string) => string | undefined): UsageQuery {
  const errors: string[] = [];
  const time = (name: string, fallback: number) => {
    const text = param(name);
    if (text === undefined || text === '') return fallback;
    const ms = timeFromText(text);
    if (ms === undefined) errors.push(`${name} must be an ISO time or a duration such as 24h (got "${text}")`);
    return ms ?? Number.NaN;
  };
  const to = time('to', Date.now());
  const from = time('from', to - 86_400_000);
  const step = param('step');
  if (step !== undefined && !STEPS.includes(step as Step)) errors.push(`step must be one of ${STEPS.join(', ')}`);
  const top = param('top') === undefined ? 10 : Number(param('top'));
  if (!(Number.isSafeInteger(top) && top >= 1 && top <= 100)) errors.push('top must be an integer from 1 to 100');
  if (!errors.length && !(from < to)) errors.push('from must be before to');
  if (!errors.length && to - from > MAX_RANGE_MS) errors.push('one report covers at most 400 days; narrow from and to');
  if (errors.length) throw new HttpProblem('invalid-query', errors.join('; '));
  const automation = param('automation');
  const key = param('key');
  return {
    from,
    to,
    top,
    ...(step ? { step: step as Step } : {}),
    ...(automation ? { automation } : {}),
    ...(key ? { key } : {}),
  };
}

/** A key as the admin API shows it: everything but the hash. */
function shown(key: KeyRecord): Omit<KeyRecord, 'hash'> {
  const { hash: _hash, ...rest } = key;
  return rest;
}
