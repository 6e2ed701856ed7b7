import type { Hono } from 'hono';
import type { FieldKind, StorageSpec } from '../../adapters/types.ts';
import { HttpProblem } from '../errors/problem.ts';
import type { ConnectionPool } from '../registry/connections.ts';
import type { AdminEnv } from './admin.ts';

const KINDS: readonly FieldKind[] = ['string', 'integer', 'number', 'boolean', 'json'];
const AUTOMATION = /^[a-z][a-z0-9-]{0,49}$/;
const COLLECTION = /^[a-z][a-z0-9_]{0,49}$/;
const FIELD = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const MANAGED = ['id', 'createdAt', 'updatedAt'];

/**
 * `POST /admin/storage/plan { connection, spec }`: what opening `spec` on one of this
 * server's connections would change, without changing anything (`StoragePlan`). This is
 * how `council migrate --dry-run` and `council validate` ask about an embedded store the
 * server holds. The spec is rebuilt from checked parts, never passed on as sent.
 */
export function addPlanRoute(app: Hono<AdminEnv>, connections: ConnectionPool): void {
  app.post('/storage/plan', async (c) => {
    const body = (await c.req.json().catch(() => null)) as { connection?: unknown; spec?: unknown } | null;
    const spec = storageSpec(body?.spec);
    if (typeof body?.connection !== 'string' || !spec) {
      throw new HttpProblem('validation-failed', 'send { "connection": "<name>", "spec": <a StorageSpec as the compiler makes it> }');
    }
    if (!connections.has(body.connection)) throw new HttpProblem('not-found', `this server has no connection named "${body.connection}"`);
    const connection = await connections.get(body.connection);
    return c.json({ data: await connection.plan(spec) });
  });
}

function storageSpec(value: unknown): StorageSpec | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.automation !== 'string' || !AUTOMATION.test(v.automation)) return undefined;
  if (typeof v.collection !== 'string' || !COLLECTION.test(v.collection)) return undefined;
  if (!Array.isArray(v.fields) || v.fields.length > 1000) return undefined;
  const fields = v.fields.map((f: { name?: unknown; kind?: unknown } | null) =>
    typeof f?.name === 'string' && FIELD.test(f.name) && KINDS.includes(f.kind as FieldKind)
      ? { name: f.name, kind: f.kind as FieldKind }
      : undefined,
  );
  if (fields.some((f) => f === undefined)) return undefined;
  const known = [...MANAGED, ...fields.map((f) => f?.name as string)];
  const names = (list: unknown, allowed: readonly string[]): string[] | undefined =>
    Array.isArray(list) && list.every((n) => typeof n === 'string' && allowed.includes(n)) ? [...list] : undefined;
  const filterable = names(v.filterable, known);
  const sortable = names(v.sortable, known);
  // Absent stays absent: the compiler's spec goes through as it was made.
  const searchable = v.searchable === undefined ? [] : names(v.searchable, known);
  const unique = v.unique === undefined ? [] : names(v.unique, known);
  const m = v.migrations as { drop?: unknown; retype?: unknown } | undefined;
  const anyField = (list: unknown) => names(list, Array.isArray(list) ? list.filter((n) => typeof n === 'string' && FIELD.test(n)) : []);
  const migrations = m === undefined ? undefined : { drop: anyField(m.drop), retype: anyField(m.retype) };
  const ttl = v.ttlSeconds;
  if (!filterable || !sortable || !searchable || !unique || (migrations && (!migrations.drop || !migrations.retype))) return undefined;
  if (ttl !== undefined && !(Number.isSafeInteger(ttl) && (ttl as number) > 0)) return undefined;
  return {
    automation: v.automation,
    collection: v.collection,
    fields: fields as StorageSpec['fields'],
    filterable,
    sortable,
    ...(v.searchable === undefined ? {} : { searchable }),
    ...(v.unique === undefined ? {} : { unique }),
    ...(migrations ? { migrations: migrations as NonNullable<StorageSpec['migrations']> } : {}),
    ...(ttl === undefined ? {} : { ttlSeconds: ttl as number }),
  };
}
