import type { ParameterObject, SchemaObject } from 'openapi3-ts/oas31';
import type { AutomationPlan, Reference } from '../compile/plan.ts';
import { defaultScope } from '../schema/scopes.ts';
import { GPT_LIMITS } from './gpt-profile.ts';
import { recordNouns, type SchemaNames, schemaRef } from './names.ts';
import type { RelatedPlans } from './related.ts';

/**
 * What `?expand=` takes on `plan`: each relation, then `relation.inner` for the relations
 * of each referred automation known here (HTTP expands two levels at most).
 */
export function expandPaths(plan: AutomationPlan, related: RelatedPlans): string[] {
  return plan.references.flatMap((reference) => [
    reference.name,
    ...(related.plan(reference.automation)?.references ?? []).map((inner) => `${reference.name}.${inner.name}`),
  ]);
}

/** What reading a referred record needs: the scopes of its automation's get, `public`, or what it has by default. */
export function readAccess(reference: Reference, related: RelatedPlans): string {
  const target = related.plan(reference.automation);
  const get = target?.endpoints.find((e) => e.operation === 'get');
  if (!target) return defaultScope(reference.automation, 'get');
  if (!get) return `nothing: ${reference.automation} has no get, so it cannot be expanded`;
  return get.access.public ? 'no scope (public)' : get.access.scopes.join(' and ');
}

/** Whether expanding some relation of `plan` may need a key even where `plan`'s own endpoint is public. */
export function expandNeedsKey(plan: AutomationPlan, related: RelatedPlans): boolean {
  return plan.references.some((reference) => {
    const get = related.plan(reference.automation)?.endpoints.find((e) => e.operation === 'get');
    return !get?.access.public;
  });
}

/**
 * `?expand=` on the list and get of an automation with references: which relations it
 * takes, what each embeds and the scope it needs. Within the 700 characters a GPT Action
 * accepts in a parameter's description: past them, the relations are only named.
 */
export function expandParameter(plan: AutomationPlan, related: RelatedPlans): ParameterObject {
  const each = plan.references.map(
    (r) => `\`${r.name}\` (the ${r.automation} record \`${r.field}\` holds the id of; needs ${readAccess(r, related)})`,
  );
  const inner = expandPaths(plan, related).filter((p) => p.includes('.'));
  const first = plan.references[0] as Reference;
  const field = Object.keys(related.plan(first.automation)?.schema.properties ?? {})[0] ?? 'NAME';
  const lead = 'Embed the records these records refer to, comma-separated:';
  const rest = `${inner.length ? ` Two levels: ${inner.map((p) => `\`${p}\``).join(', ')}.` : ''} Each goes under its relation's name (null when the field is unset or names no record); \`fields\` selects inside it (\`${first.name}.${field}\`). The API key needs the read scope of each automation expanded, else 403.`;
  let description = `${lead} ${each.join(', ')}.${rest}`;
  if (description.length > GPT_LIMITS.parameterDescription) {
    description = `${lead} ${plan.references.map((r) => `\`${r.name}\``).join(', ')}. Each needs the read scope of its automation, else 403.`;
  }
  return {
    name: 'expand',
    in: 'query',
    description: description.slice(0, GPT_LIMITS.parameterDescription),
    schema: { type: 'string', examples: [plan.references[0]?.name ?? ''] },
  };
}

/**
 * The record schema's property for one relation: the referred record, present only when
 * a read asks `?expand=` for it. By `$ref` to that automation's record when the document
 * has it (`referred`), else an object with its `id`, so a document of one automation
 * stays whole on its own.
 */
export function relationProperty(reference: Reference, referred: SchemaNames | undefined): SchemaObject {
  const description = `The ${reference.automation} record \`${reference.field}\` holds the id of: present only with ?expand=${reference.name}; null when \`${reference.field}\` is unset or names no record. With \`fields=${reference.name}.NAME\`, only those of its fields (and \`id\`).`;
  if (referred) {
    return { description, anyOf: [schemaRef(referred.record), schemaRef(referred.partial), { type: 'null' }] };
  }
  return {
    type: ['object', 'null'],
    description,
    required: ['id'],
    properties: { id: { type: 'string', format: 'uuid', description: `Unique id of the ${reference.automation} record.` } },
  };
}

/**
 * What deleting one record of `plan` does beyond it, for the delete's description: the
 * records that refer to it with `cascade` are deleted too, `setNull` ones lose their
 * reference, `restrict` ones refuse the delete (409) while they exist. Empty when nothing
 * refers to `plan`; shorter, naming automations only, when the whole would not leave room.
 */
export function deleteEffects(plan: AutomationPlan, related: RelatedPlans): string {
  const referrers = related.referrers(plan.name);
  if (referrers.length === 0) return '';
  const { one } = recordNouns(plan);
  const names = (onDelete: Reference['onDelete']) => referrers.filter((r) => r.reference.onDelete === onDelete);
  const cascade = names('cascade');
  const setNull = names('setNull');
  const restrict = names('restrict');
  const deeper = cascade.some((r) => related.referrers(r.plan.name).length > 0) ? ' (and what refers to those, in turn)' : '';
  const parts = [
    cascade.length ? `also deletes the ${cascade.map((r) => r.plan.name).join(', ')} that refer to it${deeper}` : '',
    setNull.length ? `removes ${setNull.map((r) => `\`${r.reference.field}\` from the ${r.plan.name}`).join(', ')} that refer to it` : '',
  ].filter(Boolean);
  const refused = restrict.length ? `Refused (409 still-referenced) while ${restrict.map((r) => r.plan.name).join(', ')} refer to it.` : '';
  const full = [parts.length ? `Deleting ${article(one)} ${one} ${parts.join(' and ')}.` : '', refused].filter(Boolean).join(' ');
  if (full.length <= EFFECTS_LENGTH) return full;
  const changed = [...new Set([...cascade, ...setNull].map((r) => r.plan.name))];
  const short = [
    changed.length ? `Deleting it also deletes or changes the ${changed.join(', ')} that refer to it.` : '',
    restrict.length
      ? `Refused (409) while ${restrict.length === 1 ? restrict[0]?.plan.name : 'records of other automations'} refer to it.`
      : '',
  ]
    .filter(Boolean)
    .join(' ');
  return short.length <= EFFECTS_LENGTH
    ? short
    : 'Deleting it also deletes, changes or is refused by records of other automations that refer to it.';
}

/** Room for a delete's effects within the 300 characters of an operation's description, beside what it does. */
const EFFECTS_LENGTH = 200;

function article(noun: string): string {
  return /^[aeiou]/.test(noun) ? 'an' : 'a';
}
