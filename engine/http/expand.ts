import type { ListJoin, SharedDatabase, StoredRecord } from '../../adapters/types.ts';
import type { AutomationPlan, Reference } from '../compile/plan.ts';
import { choices, type FieldError, HttpProblem } from '../errors/problem.ts';
import type { MountedAutomation, RelatedAutomations } from '../registry/registry.ts';
import { grantsAll } from '../schema/scopes.ts';
import { selectFields } from './fields-param.ts';
import { idsIn, readMany } from './related-read.ts';

/** `?expand=account,account.owner`: relation names, each with the relations to expand inside it (two levels at most). */
export type ExpandRequest = ReadonlyMap<string, readonly string[]>;

/**
 * Reads `?expand=` against the plan's own relations (the second level is checked against
 * the referred automation when the request runs: it reloads on its own). Undefined when
 * absent; problems go to `errors`.
 */
export function parseExpandParam(plan: AutomationPlan, params: URLSearchParams, errors: FieldError[]): ExpandRequest | undefined {
  const raw = params.get('expand');
  if (raw === null) return undefined;
  const known = plan.references.map((r) => r.name);
  const request = new Map<string, string[]>();
  for (const path of raw.split(',').map((p) => p.trim())) {
    const [first = '', second, ...rest] = path.split('.');
    if (!known.includes(first) || rest.length > 0 || second === '') {
      const why = rest.length > 0 ? 'expands two levels at most (relation.relation)' : `"${first}" is not a relation of ${plan.name}`;
      errors.push({
        pointer: '/query/expand',
        message: `${why}; expandable: ${known.join(', ')}${known.length ? ' (and their own relations, as relation.relation)' : ''}`,
        ...choices(first, known),
      });
      continue;
    }
    const inner = request.get(first) ?? [];
    if (second !== undefined && !inner.includes(second)) inner.push(second);
    request.set(first, inner);
  }
  return request;
}

/** One relation to embed, its referred automation found and the caller's access to it checked. */
export interface Resolved {
  readonly reference: Reference;
  readonly target: MountedAutomation;
  readonly inner: readonly Resolved[];
}

/**
 * Finds the automations `request` reads and checks the caller may read them (a `get`
 * declared, its scopes held), before anything is read: a key without `accounts:read`
 * gets a 403 naming it, never records with the relation silently left out.
 */
export function resolveExpand(
  plan: AutomationPlan,
  request: ExpandRequest,
  related: RelatedAutomations,
  granted: readonly string[] | undefined,
  depth = 0,
): Resolved[] {
  return [...request].map(([name, inner]) => {
    const reference = plan.references.find((r) => r.name === name) as Reference;
    const target = related.match(reference.automation);
    if (!target) {
      throw new HttpProblem(
        'reference-unavailable',
        `expand=${name} reads ${reference.automation}, which is not serving right now; retry later or drop expand`,
      );
    }
    const get = target.plan.endpoints.find((e) => e.operation === 'get');
    if (!get) {
      throw new HttpProblem(
        'invalid-query',
        `expand=${name}: ${reference.automation} has no get operation, so its records cannot be embedded; drop it`,
        {
          errors: [{ pointer: '/query/expand', message: `${reference.automation} declares no get` }],
        },
      );
    }
    if (!get.access.public && !(granted && grantsAll(granted, get.access.scopes))) {
      const scopes = get.access.scopes.join(', ');
      throw new HttpProblem(
        granted ? 'forbidden' : 'unauthorized',
        granted
          ? `expand=${name} reads ${reference.automation} records: this API key lacks the scope ${scopes}; drop expand, or ask an administrator for a key that has it`
          : `expand=${name} reads ${reference.automation} records, which need an API key with ${scopes}; send one, or drop expand`,
      );
    }
    const known = target.plan.references.map((r) => r.name);
    const unknown = inner.filter((n) => !known.includes(n));
    if (unknown.length || (depth > 0 && inner.length)) {
      const message = `"${name}.${unknown[0] ?? inner[0]}": ${reference.automation} has no such relation${known.length ? ` (it has ${known.join(', ')})` : ''}`;
      throw new HttpProblem('invalid-query', `${message}; fix expand and retry`, {
        errors: [{ pointer: '/query/expand', message, ...choices(unknown[0] ?? '', known) }],
      });
    }
    const nested = resolveExpand(target.plan, new Map(inner.map((n) => [n, []])), related, granted, depth + 1);
    return { reference, target, inner: nested };
  });
}

/**
 * The relations of `resolved` whose records `shared` reads in the listing's own statement
 * (a join): those of automations opened on the same connection as `plan`'s. The others,
 * and every second level, are read by embed, one read of many ids each.
 */
export function joinable(plan: AutomationPlan, resolved: readonly Resolved[], shared: SharedDatabase): Resolved[] {
  // A statement reads records as stored: a version that shows them otherwise reads through its store.
  if (plan.view || !shared.holds(plan.storage.spec)) return [];
  return resolved.filter(({ target }) => !target.plan.view && shared.holds(target.plan.storage.spec));
}

/** What {@link SharedDatabase.listWith} takes for these relations. */
export function listJoins(joins: readonly Resolved[]): ListJoin[] {
  return joins.map(({ reference, target }) => ({ field: reference.field, spec: target.plan.storage.spec }));
}

/**
 * `records` with each resolved relation embedded under its name (`null` where the referred
 * record is missing or the field unset), and `fields` applied: plain names to the records
 * (the relations always kept), `relation.name` inside the embedded ones. One read of many
 * ids per relation and level, whatever the number of records, except for the relations
 * `read` already holds the records of (read with the records, by a join).
 */
export async function embed(
  records: readonly StoredRecord[],
  resolved: readonly Resolved[],
  fields: readonly string[] | undefined,
  read?: ReadonlyMap<Resolved, ReadonlyMap<string, StoredRecord>>,
): Promise<Record<string, unknown>[]> {
  const found = await relationsOf(records, resolved, fields, read);
  const top = fields ? [...fields.filter((f) => !f.includes('.')), ...resolved.map((r) => r.reference.name)] : undefined;
  return records.map((record) => {
    const out = embedOne(record, found);
    return top ? (selectFields(out as StoredRecord, top) as Record<string, unknown>) : out;
  });
}

/**
 * {@link embed} without `fields`, as the JSON text of each record: each embedded record is
 * serialized once however many records refer to it, and spliced after the record's own
 * members, so no record is copied (what a page with expand costs beyond the page is mostly
 * that). The same text JSON.stringify of embed's records gives; `first` is embed's first
 * record itself, for a page whose first record must be cut to fit (see pageBody).
 */
export async function embedAsJson(
  records: readonly StoredRecord[],
  resolved: readonly Resolved[],
  read?: ReadonlyMap<Resolved, ReadonlyMap<string, StoredRecord>>,
): Promise<{ texts: string[]; first: Record<string, unknown> | undefined }> {
  const found = await relationsOf(records, resolved, undefined, read);
  const texts = found.map(({ name, shown }) => ({
    key: `${JSON.stringify(name)}:`,
    byId: new Map([...shown].map(([id, record]) => [id, JSON.stringify(record)])),
  }));
  const first = records[0] && embedOne(records[0], found);
  const serialized = records.map((record) => {
    let members = '';
    for (const [i, { name, field }] of found.entries()) {
      // An old record holding a property of the relation's name: embed replaces it.
      if (Object.hasOwn(record, name)) return JSON.stringify(embedOne(record, found));
      const id = record[field];
      const { key, byId } = texts[i] as (typeof texts)[number];
      members += `,${key}${typeof id === 'string' ? (byId.get(id) ?? 'null') : 'null'}`;
    }
    const own = JSON.stringify(record);
    return own === '{}' ? `{${members.slice(1)}}` : `${own.slice(0, -1)}${members}}`;
  });
  return { texts: serialized, first };
}

type Found = Awaited<ReturnType<typeof relationsOf>>;

function embedOne(record: StoredRecord, found: Found): Record<string, unknown> {
  const out: Record<string, unknown> = { ...record };
  for (const { name, field, shown } of found) {
    const id = record[field];
    out[name] = typeof id === 'string' ? (shown.get(id) ?? null) : null;
  }
  return out;
}

/** Each relation's embedded records by id, `fields` applied inside: one read of many ids per relation and level. */
async function relationsOf(
  records: readonly StoredRecord[],
  resolved: readonly Resolved[],
  fields: readonly string[] | undefined,
  read?: ReadonlyMap<Resolved, ReadonlyMap<string, StoredRecord>>,
) {
  return Promise.all(
    resolved.map(async (relation) => {
      const { reference, target, inner } = relation;
      const byId = read?.get(relation) ?? (await readMany(target.store, idsIn(records, reference.field)));
      const innerFields = nestedFields(fields, reference.name);
      const embedded = inner.length ? await embed([...byId.values()], inner, innerFields) : undefined;
      const shown = new Map(
        [...byId.keys()].map((id, i) => [id, embedded ? embedded[i] : selectFields(byId.get(id) as StoredRecord, innerFields)]),
      );
      return { name: reference.name, field: reference.field, shown };
    }),
  );
}

/** `account.name,account.owner.email` inside `account`: `id`, `name`, `owner.email`; undefined when none names it (the whole record). */
function nestedFields(fields: readonly string[] | undefined, relation: string): readonly string[] | undefined {
  if (!fields) return undefined;
  const prefix = `${relation}.`;
  const inner = fields.filter((f) => f.startsWith(prefix)).map((f) => f.slice(prefix.length));
  return inner.length ? ['id', ...inner.filter((f) => f !== 'id')] : undefined;
}
