import { BatchAborted, type RecordStore, type SharedDatabase, type SpecWrite, type StoredRecord } from '../../adapters/types.ts';
import type { AutomationPlan } from '../compile/plan.ts';
import { HttpProblem } from '../errors/problem.ts';
import type { AuditLog } from '../security/audit-log.ts';
import { type DeletePlan, planDelete } from './delete-cascade.ts';
import { nextUpdatedAt } from './etag.ts';
import type { RecordLinks } from './record-handlers.ts';

/** Who asked for the delete: every change it causes is audited under the same request. */
export interface DeleteRequest {
  readonly actor: string;
  readonly requestId: string;
}

/** How often a delete is planned again when a record it was to change went away before its transaction. */
const PLAN_ATTEMPTS = 3;

/**
 * Deletes the record `id` of `plan` (with `check`, as `RecordStore.delete`) after what
 * refers to it: refuses while a `restrict` reference still refers to it (409, nothing
 * changed), else clears the `setNull` references to it and deletes the `cascade` ones,
 * deepest first, each audited under the request that caused it. Resolves false when the
 * record is not stored.
 *
 * Where every record it changes lives on the connection of `plan`'s own table
 * (`links.shared` holds them all: one PostgreSQL database), all of it is one transaction:
 * all or nothing, audited once committed. Otherwise it is ordered so that a failure
 * part-way leaves no record referring to a deleted one, and the same DELETE, retried,
 * carries on from what is left.
 */
export async function deleteWithReferrers(
  plan: AutomationPlan,
  store: RecordStore,
  id: string,
  check: ((current: StoredRecord) => void) | undefined,
  links: RecordLinks,
  request: DeleteRequest,
): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    const planned = await planDelete(plan.name, id, links.related);
    if (planned.clears.length + planned.deletes.length === 0) return store.delete(id, check);
    const { shared } = links;
    if (!shared || !inOneDatabase(plan, planned, shared)) {
      await changeReferrers(planned, links.audit, request, `${plan.name} ${id} deleted`);
      return store.delete(id, check);
    }
    const outcome = await inOneTransaction(plan, id, check, planned, shared);
    if (outcome === 'referrer-gone' && attempt < PLAN_ATTEMPTS) continue;
    if (outcome === 'referrer-gone') {
      throw new HttpProblem(
        'still-referenced',
        'the records that refer to it kept changing while it was being deleted; nothing was changed, retry',
      );
    }
    if (outcome === 'deleted') auditReferrers(planned, links.audit, request, `${plan.name} ${id} deleted`);
    return outcome === 'deleted';
  }
}

function inOneDatabase(plan: AutomationPlan, planned: DeletePlan, shared: SharedDatabase): boolean {
  return (
    held(plan, shared) &&
    planned.clears.every((clear) => held(clear.mounted.plan, shared)) &&
    planned.deletes.every((doomed) => held(doomed.mounted.plan, shared))
  );
}

/**
 * The clears, the cascaded deletes and the record's own delete as one `writeAcross`.
 * `missing`: the record itself is gone; `referrer-gone`: a record the plan was to change
 * went away meanwhile (plan again). A write's own failure (`check`, a store's refusal)
 * rejects with what it threw, nothing changed.
 */
async function inOneTransaction(
  plan: AutomationPlan,
  id: string,
  check: ((current: StoredRecord) => void) | undefined,
  planned: DeletePlan,
  shared: SharedDatabase,
): Promise<'deleted' | 'missing' | 'referrer-gone'> {
  const writes: SpecWrite[] = [
    ...planned.clears.map(({ mounted, id, field }) => ({
      spec: mounted.plan.storage.spec,
      write: { op: 'modify', id, change: cleared(field) } as const,
    })),
    ...planned.deletes.map(({ mounted, id }) => ({ spec: mounted.plan.storage.spec, write: { op: 'delete', id } as const })),
    { spec: plan.storage.spec, write: check ? { op: 'delete', id, check } : { op: 'delete', id } },
  ];
  try {
    await shared.writeAcross(writes);
    return 'deleted';
  } catch (error) {
    if (!(error instanceof BatchAborted)) throw error;
    if (error.reason === 'missing') return error.index === writes.length - 1 ? 'missing' : 'referrer-gone';
    throw error.cause;
  }
}

/** Across stores: the clears, then the deletes deepest first, each audited as it is done. */
async function changeReferrers(planned: DeletePlan, audit: AuditLog, request: DeleteRequest, cause: string): Promise<void> {
  for (const clear of planned.clears) {
    await clear.mounted.store.modify(clear.id, cleared(clear.field));
    audited(audit, request, 'update', clear.mounted.plan.name, clear.id, `setNull ${clear.field}: ${cause}`);
  }
  for (const doomed of planned.deletes) {
    await doomed.mounted.store.delete(doomed.id);
    audited(audit, request, 'delete', doomed.mounted.plan.name, doomed.id, `cascade: ${cause}`);
  }
}

/** After one transaction committed: an entry per changed record, as the ordered path writes them. */
function auditReferrers(planned: DeletePlan, audit: AuditLog, request: DeleteRequest, cause: string): void {
  for (const clear of planned.clears) {
    audited(audit, request, 'update', clear.mounted.plan.name, clear.id, `setNull ${clear.field}: ${cause}`);
  }
  for (const doomed of planned.deletes) audited(audit, request, 'delete', doomed.mounted.plan.name, doomed.id, `cascade: ${cause}`);
}

/** The record without `field`, as a new version. */
function cleared(field: string): (current: StoredRecord) => StoredRecord {
  return (current) => {
    const { [field]: _cleared, ...rest } = current;
    return { ...rest, id: current.id, createdAt: current.createdAt, updatedAt: nextUpdatedAt(current.updatedAt) };
  };
}

function audited(audit: AuditLog, request: DeleteRequest, action: string, automation: string, recordId: string, detail: string): void {
  if (!audit.enabled) return;
  audit.record({ actor: request.actor, action, automation, recordId, requestId: request.requestId, outcome: 'ok', detail });
}

/** A statement writes records as stored: a version that shows them otherwise writes through its store. */
function held(plan: AutomationPlan, shared: SharedDatabase): boolean {
  return !plan.view && shared.holds(plan.storage.spec);
}
