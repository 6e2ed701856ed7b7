import type { ParameterObject, SchemaObject } from 'openapi3-ts/oas31';
import type { FilterOperator } from '../../adapters/types.ts';
import type { AutomationPlan, FilterPlan, JsonSchema } from '../compile/plan.ts';
import { filterParameter, MAX_IN_VALUES } from '../http/filter-params.ts';
import { followLocalRef } from '../schema/fields.ts';
import { recordNouns } from './names.ts';

/** What each operator keeps, as the end of "only <records> whose `field` ...". */
export const FILTER_MEANING: Record<FilterOperator, string> = {
  eq: 'equals this value',
  ne: 'is not this value (records without it are included)',
  gt: 'is greater than this value',
  gte: 'is at least this value',
  lt: 'is less than this value',
  lte: 'is at most this value',
  in: `is one of these comma-separated values (at most ${MAX_IN_VALUES}), e.g. \`a,b\``,
  contains: 'contains this text (case-sensitive)',
  exists: 'is set (`true`) or not set (`false`)',
};

/** One query parameter per operator a list offers on a field: `status`, `status[ne]`, `status[in]`... */
export function filterParameters(plan: AutomationPlan, filter: FilterPlan): ParameterObject[] {
  const property = followLocalRef(filter.schema, plan.schema);
  const { enum: choices, format, description } = (typeof property === 'object' && property !== null ? property : {}) as JsonSchema;
  const valueSchema: SchemaObject = { type: filter.kind };
  const allowed = Array.isArray(choices) ? choices.filter((choice) => choice !== null) : undefined;
  if (allowed) valueSchema.enum = allowed;
  if (typeof format === 'string') valueSchema.format = format;
  if (typeof description === 'string') valueSchema.description = description;
  const about = typeof description === 'string' ? ` ${description}` : '';
  const order = filter.kind === 'string' ? ' Text compares character by character (ISO dates compare as dates).' : '';
  return filter.operators.map((op) => {
    const schema: SchemaObject =
      op === 'exists'
        ? { type: 'boolean' }
        : op === 'in'
          ? { type: 'string' }
          : op === 'contains'
            ? { type: 'string', minLength: 1 }
            : valueSchema;
    const choicesText = op === 'in' && allowed ? ` Values: ${allowed.join(', ')}.` : '';
    const ordering = ['gt', 'gte', 'lt', 'lte'].includes(op) ? order : '';
    return {
      name: filterParameter(filter.field, op),
      in: 'query',
      description: `Only ${recordNouns(plan).many} whose \`${filter.field}\` ${FILTER_MEANING[op]}.${choicesText}${ordering}${about}`,
      schema,
    };
  });
}

/** `?count=true`: the total number of matches in `meta.count`. */
export const countParameter: ParameterObject = {
  name: 'count',
  in: 'query',
  description: 'Set to `true` to also get `meta.count`: how many records match the filters in all pages together.',
  schema: { type: 'boolean', default: false },
};
