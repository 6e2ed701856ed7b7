import { type AutomationDraft, FIELD_TYPES, type FieldDraft, type FieldType, OPERATIONS } from '../manifest/scaffold.ts';
import type { Operation } from '../schema/json-schema.ts';
import { AUTOMATION_NAME_PATTERN } from '../schema/naming.ts';

/** Empty rows of fields a form offers (without JavaScript, rows cannot be added): all 8 for a new automation, 2 beside an existing one's fields. */
export const FIELD_ROWS = 8;
export const SPARE_ROWS = 2;

/** A form's values: one string per name, several for the operation checkboxes. */
export type FormValues = Record<string, string | string[]>;

const text = (form: FormValues, name: string) => {
  const value = form[name];
  return (Array.isArray(value) ? (value[0] ?? '') : (value ?? '')).trim();
};
const list = (value: string) =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/**
 * The draft a new-automation form describes, or what is wrong with it, as sentences. Only
 * what the form itself can know is checked here; the manifest it becomes goes through the
 * engine's own checks like any other text.
 */
export function draftFromForm(
  form: FormValues,
  connections: ReadonlyMap<string, { readonly backend: string }>,
  options: {
    /** Configuring an existing automation: its name, which the form does not change. */
    readonly name?: string;
    /** A string field without a maximum length gets 200 (new automations); an existing one keeps what it has. */
    readonly defaultMaxLength: boolean;
    /** false: the fields are not on the form (the schema is in another file). */
    readonly fields?: boolean;
    /** The automations a field may refer to (the serving ones). */
    readonly automations?: readonly string[];
  } = { defaultMaxLength: true },
): { draft: AutomationDraft } | { problems: string[] } {
  const problems: string[] = [];
  const name = options.name ?? text(form, 'name');
  if (!AUTOMATION_NAME_PATTERN.test(name))
    problems.push('the name is lowercase letters, digits and dashes, starting with a letter (e.g. support-tickets)');
  const description = text(form, 'description');
  if (description.length < 10)
    problems.push('the description says in a sentence what the records are and what they are for (models read it)');
  const connectionName = text(form, 'connection');
  const connection = connections.get(connectionName);
  if (!connection) problems.push(`choose a connection (${[...connections.keys()].join(', ')})`);
  const fields: FieldDraft[] = [];
  const rows = Object.keys(form)
    .map((key) => /^field-(\d+)-name$/.exec(key)?.[1])
    .filter((row): row is string => row !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
  for (const row of rows) {
    const field = fieldOf(form, row, problems, options.defaultMaxLength, options.automations ?? []);
    if (field && fields.some((f) => f.name === field.name)) problems.push(`two fields are named ${field.name}`);
    else if (field) fields.push(field);
  }
  if (fields.length === 0 && options.fields !== false) problems.push('give the record at least one field');
  const checked = form.operations;
  const operations = OPERATIONS.filter((o) => (Array.isArray(checked) ? checked : [checked]).includes(o));
  if (operations.length === 0) problems.push('choose at least one operation');
  const rate = [text(form, 'rateRequests'), text(form, 'ratePerSeconds')];
  const rateLimit = rate[0] || rate[1] ? { requests: Number(rate[0]), perSeconds: Number(rate[1]) } : undefined;
  if (rateLimit && !(Number.isInteger(rateLimit.requests) && rateLimit.requests > 0 && rateLimit.perSeconds > 0)) {
    problems.push('a rate limit is a whole number of requests per a number of seconds, both above 0 (or leave both empty for the default)');
  }
  if (problems.length > 0) return { problems };
  return {
    draft: {
      name,
      description,
      backend: connection?.backend ?? '',
      ...(connectionName !== connection?.backend ? { connection: connectionName } : {}),
      fields,
      operations: operations as Operation[],
      filters: list(text(form, 'filters')),
      sort: list(text(form, 'sort')),
      searchFields: list(text(form, 'search')),
      public: text(form, 'public') === 'yes',
      ...(rateLimit ? { rateLimit } : {}),
    },
  };
}

/** One row of the fields table, or undefined when its name is empty. */
function fieldOf(
  form: FormValues,
  row: number,
  problems: string[],
  defaultMaxLength: boolean,
  automations: readonly string[],
): FieldDraft | undefined {
  const at = (part: string) => text(form, `field-${row}-${part}`);
  const name = at('name');
  if (!name) return undefined;
  const refersTo = at('refersTo') || undefined;
  if (refersTo !== undefined && !automations.includes(refersTo)) {
    problems.push(`field ${name}: it may refer to a serving automation only (${automations.join(', ') || 'none serves'}), not ${refersTo}`);
  }
  // A reference holds an id: a string, bounded by its uuid format rather than a length.
  const type = refersTo ? 'string' : (FIELD_TYPES as readonly string[]).includes(at('type')) ? (at('type') as FieldType) : 'string';
  const number = (part: string) => {
    const value = at(part);
    if (!value) return undefined;
    const n = Number(value);
    if (!Number.isFinite(n)) problems.push(`field ${name}: ${part} must be a number`);
    return n;
  };
  const values = list(at('enum'));
  const maxLength = number('maxLength');
  const minimum = number('minimum');
  const maximum = number('maximum');
  const description = at('description');
  return {
    name,
    type,
    required: at('required') === 'yes',
    ...(description ? { description } : {}),
    ...(type === 'string' && values.length > 0 && !refersTo ? { enum: values } : {}),
    // A string without a bound is one a model cannot size, and one no index can always hold.
    ...(type === 'string' && values.length === 0 && (maxLength !== undefined || (defaultMaxLength && !refersTo))
      ? { maxLength: maxLength ?? 200 }
      : {}),
    ...(type !== 'string' && type !== 'boolean' && minimum !== undefined ? { minimum } : {}),
    ...(type !== 'string' && type !== 'boolean' && maximum !== undefined ? { maximum } : {}),
    ...(refersTo ? { refersTo } : {}),
  };
}

/** A draft as the form's values, to fill the form with an automation as it is. */
export function formValuesOf(draft: AutomationDraft): FormValues {
  const values: FormValues = {
    name: draft.name,
    description: draft.description,
    connection: draft.connection ?? draft.backend,
    operations: [...draft.operations],
    filters: draft.filters.join(', '),
    sort: draft.sort.join(', '),
    search: draft.searchFields.join(', '),
    public: draft.public ? 'yes' : 'no',
    rateRequests: draft.rateLimit ? String(draft.rateLimit.requests) : '',
    ratePerSeconds: draft.rateLimit ? String(draft.rateLimit.perSeconds) : '',
  };
  draft.fields.forEach((field, row) => {
    const at = (part: string, value: string | number | undefined) => {
      if (value !== undefined) values[`field-${row}-${part}`] = String(value);
    };
    at('name', field.name);
    at('type', field.type);
    at('required', field.required ? 'yes' : undefined);
    at('enum', field.enum?.join(', '));
    at('maxLength', field.maxLength);
    at('minimum', field.minimum);
    at('maximum', field.maximum);
    at('description', field.description);
    at('refersTo', field.refersTo);
  });
  return values;
}
