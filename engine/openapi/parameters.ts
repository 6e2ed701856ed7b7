import type { ParameterObject, SchemaObject } from 'openapi3-ts/oas31';
import type { AutomationPlan, EndpointPlan } from '../compile/plan.ts';
import { selectableFields } from '../http/fields-param.ts';
import { MAX_SEARCH_TEXT } from '../http/search-query.ts';
import { countParameter, filterParameters } from './filter-parameters.ts';
import { recordNouns } from './names.ts';

/** The order a list returns when `?sort` is left out (the engine's `parseListQuery`). */
const DEFAULT_SORT = 'createdAt';

/** `{id}` in `/accounts/{id}`. */
export function idParameter(plan: AutomationPlan): ParameterObject {
  return {
    name: 'id',
    in: 'path',
    required: true,
    description: `The \`id\` of the ${recordNouns(plan).one}, as returned when it was created or listed.`,
    schema: { type: 'string', format: 'uuid' },
  };
}

/** `?fields=`: only some properties of each record, on list and get. */
export function fieldsParameter(plan: AutomationPlan): ParameterObject {
  const names = selectableFields(plan);
  return {
    name: 'fields',
    in: 'query',
    description: `Return only these properties, comma-separated (\`id\` is always included), to keep responses small. Accepted: ${names.join(', ')}.`,
    schema: { type: 'string' },
  };
}

/**
 * Parameters of get: `id`, `fields`, and for the rest of a value a response cut short,
 * `piece`, `offset` and `version`, which a cut's `next` link carries ready-made.
 */
export function getParameters(plan: AutomationPlan): ParameterObject[] {
  return [
    idParameter(plan),
    fieldsParameter(plan),
    {
      name: 'piece',
      in: 'query',
      description:
        "Read one piece of a value that a response cut short: the `pointer` of an entry in `meta.cut` (`/body`). The answer's `data.value` holds the piece, `meta.next` the path of the next one (null after the last). Copy a cut's `next` rather than building this by hand.",
      schema: { type: 'string' },
    },
    {
      name: 'offset',
      in: 'query',
      description:
        'With `piece`: where the piece starts (characters of a string, items of an array, members of an object); 0 when left out.',
      schema: { type: 'integer', minimum: 0, default: 0 },
    },
    {
      name: 'version',
      in: 'query',
      description:
        "With `piece`: the record's `updatedAt` when the link was made. A record changed since answers 412: read it again from the start.",
      schema: { type: 'string' },
    },
  ];
}

/** `?limit=`, on lists and search. */
function limitParameter(plan: AutomationPlan): ParameterObject {
  const { defaultLimit, maxLimit } = plan.pagination;
  return {
    name: 'limit',
    in: 'query',
    description: `How many records to return at most (1 to ${maxLimit}, default ${defaultLimit}).`,
    schema: { type: 'integer', minimum: 1, maximum: maxLimit, default: defaultLimit },
  };
}

/** Query parameters of a list endpoint: `limit`, `cursor`, `sort` (when it declares sort fields), then one per filter. */
export function listParameters(plan: AutomationPlan, endpoint: EndpointPlan): ParameterObject[] {
  const parameters: ParameterObject[] = [
    limitParameter(plan),
    {
      name: 'cursor',
      in: 'query',
      description:
        'Opaque position for the next page: copy `meta.next` from the previous response unchanged; leave out for the first page. The cursor carries the sort, filters and limit of its list, so `cursor` alone fetches the next page; `sort` and filters may be repeated but not changed, `limit` may change.',
      schema: { type: 'string' },
    },
  ];
  // Without declared sort fields the engine refuses `?sort`, so it is not offered at all.
  if (endpoint.sort.length > 0) {
    const values = endpoint.sort.flatMap((field) => [field, `-${field}`]);
    const schema: SchemaObject = { type: 'string', enum: values };
    // `default` only when it is also a value the caller may send.
    if (values.includes(DEFAULT_SORT)) schema.default = DEFAULT_SORT;
    parameters.push({
      name: 'sort',
      in: 'query',
      description: `Field to order by, ascending; prefix with \`-\` for descending (\`-${endpoint.sort[0]}\`). Left out: by \`${DEFAULT_SORT}\`, oldest first. Records with the same value are ordered by \`id\`.`,
      schema,
    });
  }
  return [...parameters, fieldsParameter(plan), countParameter, ...endpoint.filters.flatMap((filter) => filterParameters(plan, filter))];
}

/** Query parameters of a search endpoint: the words, then paging and `fields` as on a list. */
export function searchParameters(plan: AutomationPlan, endpoint: EndpointPlan): ParameterObject[] {
  return [
    {
      name: 'q',
      in: 'query',
      required: true,
      description: `The words to look for in ${endpoint.searchFields.map((f) => `\`${f}\``).join(', ')}. Every word must occur (whole words, any case); the best matches come first. Not needed with \`cursor\`.`,
      schema: { type: 'string', minLength: 1, maxLength: MAX_SEARCH_TEXT },
    },
    limitParameter(plan),
    {
      name: 'cursor',
      in: 'query',
      description:
        'Opaque position for the next page: copy `meta.next` from the previous response unchanged. It carries `q` and `limit`, so `cursor` alone fetches the next page.',
      schema: { type: 'string' },
    },
    fieldsParameter(plan),
  ];
}
