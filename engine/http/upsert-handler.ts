import type { Context } from 'hono';
import type { RecordStore } from '../../adapters/types.ts';
import type { AutomationPlan } from '../compile/plan.ts';
import { choices, type FieldError } from '../errors/problem.ts';
import { newRecordId } from '../request/record-id.ts';
import { jsonAnswer, noteWritten } from './answer.ts';
import type { WriteRules } from './batch-handler.ts';
import { etagOf, nextUpdatedAt } from './etag.ts';
import { invalidBody } from './field-errors.ts';
import { invalidQuery } from './list-query.ts';
import { pieceLinks, recordBody } from './record-body.ts';
import type { Handler, RecordLinks } from './record-handlers.ts';
import { checkReferencesExist } from './reference-checks.ts';

/**
 * `PUT /NAME?by=FIELD`: creates the record, or replaces the one that holds the same value
 * of FIELD, one of `storage.unique` (`by` may be left out when there is only one). One
 * atomic step in the store (`upsert`), so two callers upserting one value make one record.
 * 201 with Location when it created, 200 when it replaced (keeping the id and createdAt).
 */
export function upsertHandler(plan: AutomationPlan, store: RecordStore, rules: WriteRules, links: RecordLinks | undefined): Handler {
  const unique = plan.storage.spec.unique ?? [];
  const upsert = store.upsert;
  if (!upsert) throw new Error(`${plan.storage.backend} has no upsert; the manifest checks refuse this endpoint there`);
  return async (c) => {
    const by = keyOf(c, unique);
    const raw = await rules.readBody(c);
    return rules.once(c, raw, async () => {
      const errors = rules.errorsOf(raw);
      if (!errors.length && (raw[by] === undefined || raw[by] === null)) {
        errors.push({ pointer: `/${by}`, message: `is what the upsert finds the record by (?by=${by}); send it` });
      }
      if (errors.length) throw invalidBody(errors);
      const body = Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== null));
      if (links && plan.references.length) await checkReferencesExist(plan, body, links.related);
      const now = new Date().toISOString();
      const { record, created } = await upsert.call(
        store,
        by,
        { id: newRecordId(), createdAt: now, updatedAt: now, ...body },
        (current) => ({
          id: current.id,
          createdAt: current.createdAt,
          updatedAt: nextUpdatedAt(current.updatedAt),
          ...body,
        }),
      );
      noteWritten(c, record.id);
      const headers = { etag: etagOf(record), ...(created ? { location: `${plan.basePath}/${record.id}` } : {}) };
      return jsonAnswer(
        c,
        recordBody(record, plan.pagination.maxResponseChars, pieceLinks(plan, record), true),
        created ? 201 : 200,
        headers,
      );
    });
  };
}

/** `?by=`: one of the unique fields; optional when there is one. Nothing else in the query. */
function keyOf(c: Context, unique: readonly string[]): string {
  const params = new URL(c.req.url).searchParams;
  const errors: FieldError[] = [...params.keys()]
    .filter((name) => name !== 'by')
    .map((name) => ({ pointer: `/query/${name}`, message: 'upsert takes only by; remove it' }));
  const given = params.getAll('by');
  if (given.length > 1) errors.push({ pointer: '/query/by', message: 'given more than once; pass it once' });
  const by = given[0] ?? (unique.length === 1 ? unique[0] : undefined);
  if (by === undefined || !unique.includes(by)) {
    const message = `must name the unique field to find the record by: ${unique.join(', ')}`;
    errors.push({ pointer: '/query/by', message, ...choices(by ?? '', unique) });
  }
  if (errors.length) throw invalidQuery(errors);
  return by as string;
}
