import type { AutomationPlan, JsonSchema } from '../compile/plan.ts';
import { selectableFields } from '../http/fields-param.ts';
import type { RelatedPlans } from '../openapi/related.ts';
import { expandPaths, readAccess } from '../openapi/relations.ts';
import type { ReverseList } from '../openapi/reverse-lists.ts';
import { reverseIdParameter } from '../openapi/reverse-lists.ts';
import { orNull } from './portable-schema.ts';
import type { ToolInput } from './tool-input.ts';

/**
 * The input of a list or get tool of an automation with references, with `expand`: a list
 * of relation names (and `relation.relation` for the referred automations known), an
 * enum models fill in better than free text; `fields` also takes `relation.field` for
 * them. The tool joins both with commas, as HTTP takes them.
 */
export function withExpand(input: ToolInput, plan: AutomationPlan, related: RelatedPlans): ToolInput {
  if (plan.references.length === 0) return input;
  const paths = expandPaths(plan, related);
  const expand = orNull(
    {
      type: 'array',
      description: `Related records to embed in each record, under the relation's name (null where none): ${plan.references
        .map((r) => `${r.name} (the ${r.automation} record \`${r.field}\` holds the id of; the API key needs ${readAccess(r, related)})`)
        .join(
          ', ',
        )}${paths.some((p) => p.includes('.')) ? '; relation.relation embeds one level deeper' : ''}. A key without that scope gets forbidden.`,
      items: { type: 'string', enum: paths },
      minItems: 1,
      maxItems: paths.length,
    },
    'Null or left out: no related record.',
  );
  const properties: Record<string, JsonSchema> = { ...input.schema.properties, fields: withRelationFields(input, plan, related), expand };
  const queryArguments = new Map(input.queryArguments);
  queryArguments.set('expand', '/expand');
  return { ...input, schema: { ...input.schema, properties, required: Object.keys(properties) }, queryArguments };
}

/** `fields` with `relation.field` for each referred automation known: fields of the embedded record. */
function withRelationFields(input: ToolInput, plan: AutomationPlan, related: RelatedPlans): JsonSchema {
  const fields = input.schema.properties.fields as JsonSchema;
  const inner = plan.references.flatMap((r) => {
    const target = related.plan(r.automation);
    return target ? selectableFields(target).map((f) => `${r.name}.${f}`) : [];
  });
  const [list, none] = fields.anyOf as [JsonSchema, JsonSchema];
  const items = list.items as JsonSchema;
  return {
    ...fields,
    description: String(fields.description ?? '').replace(
      ' Null or left out',
      ' With `expand`, `relation.field` names a field of an embedded record. Null or left out',
    ),
    anyOf: [{ ...list, items: { ...items, enum: [...(items.enum as string[]), ...inner] } }, none],
  };
}

/** The input of a reverse list's tool: the referred record's `id` first, then its list tool's arguments. */
export function reverseListInput(plan: AutomationPlan, reverse: ReverseList, list: ToolInput): ToolInput {
  const id: JsonSchema = {
    type: 'string',
    description: `${reverseIdParameter(plan, reverse.reference).description} A UUID.`,
    minLength: 1,
  };
  const properties: Record<string, JsonSchema> = { id, ...list.schema.properties };
  return { ...list, schema: { ...list.schema, properties, required: Object.keys(properties) } };
}

/** What a list or get tool says of `expand`, after its own description. */
export function expandNote(plan: AutomationPlan, related: RelatedPlans): string {
  if (plan.references.length === 0) return '';
  const each = plan.references.map((r) => `${r.name} (${r.automation}; needs ${readAccess(r, related)})`).join(', ');
  return `With \`expand\`, each record also holds the records it refers to: ${each}.`;
}
