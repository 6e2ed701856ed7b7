import type { StoredRecord } from '../../adapters/types.ts';
import type { AutomationPlan } from '../compile/plan.ts';
import { ENGINE_FIELDS } from '../compile/plan.ts';
import { didYouMean } from '../errors/did-you-mean.ts';
import { choices, type FieldError } from '../errors/problem.ts';

/** The names `?fields=` accepts: the engine fields, then the schema's top-level properties. */
export function selectableFields(plan: AutomationPlan): string[] {
  return [...ENGINE_FIELDS, ...plan.storage.spec.fields.map((f) => f.name)];
}

/**
 * `?fields=a,b`: return only those properties of each record (and always `id`, so the
 * record can be fetched or changed next); `relation.b` names a property of an expanded record. Undefined when absent; problems go to `errors`.
 */
export function parseFieldsParam(plan: AutomationPlan, params: URLSearchParams, errors: FieldError[]): readonly string[] | undefined {
  const raw = params.get('fields');
  if (raw === null) return undefined;
  const names = raw.split(',').map((n) => n.trim());
  const known = selectableFields(plan);
  // `account.name`: a field of the record embedded by `?expand=account` (expand.ts picks it).
  const relations = plan.references.map((r) => r.name);
  const unknown = names.filter((n) => !known.includes(n) && !relations.includes(n.split('.')[0] as string));
  if (raw.trim() === '' || unknown.length) {
    const what = raw.trim() === '' ? 'names no field' : unknown.map((n) => `"${n}" is not a field${didYouMean(n, known)}`).join('; ');
    errors.push({
      pointer: '/query/fields',
      message: `${what}; accepted, comma-separated: ${known.join(', ')}`,
      ...choices(unknown[0] ?? '', known),
    });
    return undefined;
  }
  return ['id', ...names.filter((n) => n !== 'id')];
}

export function selectFields(record: StoredRecord, fields: readonly string[] | undefined): Partial<StoredRecord> {
  if (!fields) return record;
  const out: Record<string, unknown> = {};
  for (const name of fields) if (record[name] !== undefined) out[name] = record[name];
  return out as Partial<StoredRecord>;
}
