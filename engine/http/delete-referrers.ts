import type { AuditLog } from '../security/audit-log.ts';
import { planDelete } from './delete-cascade.ts';
import { nextUpdatedAt } from './etag.ts';
import type { RecordLinks } from './record-handlers.ts';

/**
 * Before a record of `automation` is deleted: refuses while a `restrict` reference still
 * refers to it (409, nothing changed), else clears the `setNull` references to it and
 * deletes the `cascade` ones, deepest first, each audited under the request that caused it.
 * Across stores this is not one transaction: it is ordered so that a failure part-way
 * leaves no record referring to a deleted one, and the same DELETE, retried, carries on
 * from what is left.
 */
export async function deleteReferrers(
  automation: string,
  id: string,
  links: RecordLinks,
  request: { readonly actor: string; readonly requestId: string },
): Promise<void> {
  const planned = await planDelete(automation, id, links.related);
  const cause = `${automation} ${id} deleted`;
  for (const clear of planned.clears) {
    await clear.mounted.store.modify(clear.id, (current) => {
      const { [clear.field]: _cleared, ...rest } = current;
      return { ...rest, id: current.id, createdAt: current.createdAt, updatedAt: nextUpdatedAt(current.updatedAt) };
    });
    audited(links.audit, request, 'update', clear.mounted.plan.name, clear.id, `setNull ${clear.field}: ${cause}`);
  }
  for (const doomed of planned.deletes) {
    await doomed.mounted.store.delete(doomed.id);
    audited(links.audit, request, 'delete', doomed.mounted.plan.name, doomed.id, `cascade: ${cause}`);
  }
}

function audited(
  audit: AuditLog,
  request: { actor: string; requestId: string },
  action: string,
  automation: string,
  recordId: string,
  detail: string,
): void {
  if (!audit.enabled) return;
  audit.record({ actor: request.actor, action, automation, recordId, requestId: request.requestId, outcome: 'ok', detail });
}
