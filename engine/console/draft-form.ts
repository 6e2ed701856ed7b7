import { type AutomationDraft, FIELD_TYPES, type FieldDraft, type FieldType, OPERATIONS } from '../manifest/scaffold.ts';
import type { Operation } from '../schema/json-schema.ts';
import { AUTOMATION_NAME_PATTERN } from '../schema/naming.ts';

/** Rows of fields the new-automation form offers (without JavaScript, a fixed number). */
export const FIELD_ROWS = 8;

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
): { draft: AutomationDraft } | { problems: string[] } {
  const problems: string[] = [];
  const name = text(form, 'name');
  if (!AUTOMATION_NAME_PATTERN.test(name))
    problems.push('the name is lowercase letters, digits and dashes, starting with a letter (e.g. support-tickets)');
  const description = text(form, 'description');
  if (description.length < 10)
    problems.push('the description says in a sentence what the records are and what they are for (models read it)');
  const connectionName = text(form, 'connection');
  const connection = connections.get(connectionName);
  if (!connection) problems.push(`choose a connection (${[...connections.keys()].join(', ')})`);
  const fields: FieldDraft[] = [];
  for (let row = 0; row < FIELD_ROWS; row++) {
    const field = fieldOf(form, row, problems);
    if (field) fields.push(field);
  }
  if (fields.length === 0) problems.push('give the record at least one field');
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
function fieldOf(form: FormValues, row: number, problems: string[]): FieldDraft | undefined {
  const at = (part: string) => text(form, `field-${row}-${part}`);
  const name = at('name');
  if (!name) return undefined;
  const type = (FIELD_TYPES as readonly string[]).includes(at('type')) ? (at('type') as FieldType) : 'string';
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
    ...(type === 'string' && values.length > 0 ? { enum: values } : {}),
    // A string without a bound is one a model cannot size, and one no index can always hold.
    ...(type === 'string' && values.length === 0 ? { maxLength: maxLength ?? 200 } : {}),
    ...(type !== 'string' && type !== 'boolean' && minimum !== undefined ? { minimum } : {}),
    ...(type !== 'string' && type !== 'boolean' && maximum !== undefined ? { maximum } : {}),
  };
}
