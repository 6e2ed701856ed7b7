import type { ListFilter, StoredRecord } from '../../adapters/types.ts';
import { type FieldError, HttpProblem } from '../errors/problem.ts';
import type { MountedAutomation, RelatedAutomations } from '../registry/registry.ts';

/** The most records one delete may cascade to or clear a reference in: past it, a 409 says to delete in parts. */
export const CASCADE_MAX = 1000;

/** What deleting one record does to the records that refer to it, found before anything is changed. */
export interface DeletePlan {
  /** Records to delete before it, deepest first (each refers to one deleted after it). */
  readonly deletes: readonly { readonly mounted: MountedAutomation; readonly id: string }[];
  /** Records whose reference field is removed before any delete. */
  readonly clears: readonly { readonly mounted: MountedAutomation; readonly id: string; readonly field: string }[];
}

/**
 * Follows every serving reference to `automation` from the record `id`: `restrict` refuses
 * (409, counting the records that still refer, by automation and field), `cascade` adds
 * the referring records (and, in turn, what refers to them), `setNull` adds their field to
 * clear. Reads only: a refusal changes nothing.
 */
export async function planDelete(automation: string, id: string, related: RelatedAutomations): Promise<DeletePlan> {
  const deletes: { mounted: MountedAutomation; id: string }[] = [];
  const clears: { mounted: MountedAutomation; id: string; field: string }[] = [];
  const blocked: FieldError[] = [];
  const seen = new Set<string>([`${automation}/${id}`]);
  const queue: { automation: string; ids: string[] }[] = [{ automation, ids: [id] }];
  while (queue.length > 0) {
    const { automation: name, ids } = queue.shift() as { automation: string; ids: string[] };
    for (const { mounted, reference } of related.referrers(name)) {
      if (reference.onDelete === 'restrict') {
        const count = await countReferring(mounted, reference.field, ids);
        if (count > 0) {
          blocked.push({
            pointer: `/${mounted.plan.name}/${reference.field}`,
            message: `${count} ${mounted.plan.name} record${count === 1 ? '' : 's'} refer${count === 1 ? 's' : ''} to it by ${reference.field}`,
          });
        }
        continue;
      }
      const found = await referring(mounted, reference.field, ids, CASCADE_MAX + 1 - deletes.length - clears.length);
      const fresh = found.filter((r) => !seen.has(`${mounted.plan.name}/${r.id}`));
      for (const record of fresh) seen.add(`${mounted.plan.name}/${record.id}`);
      if (reference.onDelete === 'setNull') {
        for (const record of fresh) clears.push({ mounted, id: record.id, field: reference.field });
      } else {
        for (const record of fresh) deletes.push({ mounted, id: record.id });
        if (fresh.length) queue.push({ automation: mounted.plan.name, ids: fresh.map((r) => r.id) });
      }
      if (deletes.length + clears.length > CASCADE_MAX) {
        throw new HttpProblem(
          'still-referenced',
          `deleting it would delete or change more than ${CASCADE_MAX} records that refer to it; delete some of those first, then retry`,
        );
      }
    }
  }
  if (blocked.length) {
    const detail = blocked.map((b) => b.message).join('; ');
    throw new HttpProblem(
      'still-referenced',
      `the record is still referenced: ${detail}; delete those records or change their reference first, then retry`,
      {
        errors: blocked,
      },
    );
  }
  // Deepest first: a record is deleted only after everything that cascades from it.
  return { deletes: deletes.reverse(), clears };
}

const BY_CREATION = { field: 'createdAt', direction: 'asc' } as const;

function referringFilter(field: string, ids: readonly string[]): ListFilter {
  return ids.length === 1 ? { field, op: 'eq', value: ids[0] as string } : { field, op: 'in', value: ids };
}

async function countReferring(mounted: MountedAutomation, field: string, ids: readonly string[]): Promise<number> {
  let total = 0;
  for (let i = 0; i < ids.length; i += 100) {
    const page = await mounted.store.list({
      filters: [referringFilter(field, ids.slice(i, i + 100))],
      sort: BY_CREATION,
      limit: 1,
      count: true,
    });
    total += page.total ?? page.records.length;
  }
  return total;
}

/** Up to `most` records of `mounted` whose `field` is one of `ids`, page by page. */
async function referring(mounted: MountedAutomation, field: string, ids: readonly string[], most: number): Promise<StoredRecord[]> {
  const found: StoredRecord[] = [];
  for (let i = 0; i < ids.length && found.length < most; i += 100) {
    const filters = [referringFilter(field, ids.slice(i, i + 100))];
    let after: { value: string; id: string } | undefined;
    for (;;) {
      const page = await mounted.store.list({ filters, sort: BY_CREATION, limit: 100, ...(after ? { after } : {}) });
      found.push(...page.records);
      const last = page.records.at(-1);
      if (!page.hasMore || !last || found.length >= most) break;
      after = { value: last.createdAt, id: last.id };
    }
  }
  return found;
}
