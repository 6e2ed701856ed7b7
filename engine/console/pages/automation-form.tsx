/** @jsxRuntime automatic @jsxImportSource hono/jsx */
import type { FC } from 'hono/jsx';
import { FIELD_TYPES, OPERATIONS } from '../../manifest/scaffold.ts';
import type { FormValues } from '../draft-form.ts';
import { Csrf, type Frame, Layout, Notice } from './layout.tsx';

const OPERATION_HELP: Readonly<Record<string, string>> = {
  list: 'list records, with filters and sorts',
  get: 'read one record by id',
  create: 'add a record',
  update: 'change some fields of a record',
  replace: 'replace a whole record',
  delete: 'remove a record',
  search: 'full-text search (backends that have it)',
};

/** What differs between making an automation and configuring one with the same form. */
export interface FormPurpose {
  readonly title: string;
  readonly action: string;
  readonly submit: string;
  /** Configuring: the automation's name, which the form shows but does not change. */
  readonly fixedName?: string;
  /** Rows in the fields table. */
  readonly rows: number;
  /** Properties the form cannot show (objects, lists, several types): kept as written. */
  readonly kept?: readonly string[];
  /** The schema is in another file (`$ref`): fields are edited there. */
  readonly schemaElsewhere?: string;
}

/**
 * An automation without writing YAML. New: the form becomes a commented manifest (the same
 * generator as `council new`). Configure: the form, filled from the manifest, becomes
 * edits to its text that touch only what changed. Either way the YAML opens in the editor
 * with the engine's checks and the diff, before anything is written.
 */
export const AutomationFormPage: FC<
  Frame & {
    csrf: string;
    purpose: FormPurpose;
    connections: readonly { name: string; backend: string }[];
    /** The serving automations, which a field may refer to. */
    automations: readonly string[];
    values: FormValues;
    problems?: readonly string[];
  }
> = ({ purpose, connections, automations, values, problems, ...frame }) => {
  const value = (name: string) => {
    const v = values[name];
    return Array.isArray(v) ? (v[0] ?? '') : (v ?? '');
  };
  const checked = (name: string, option: string) => {
    const v = values[name];
    return Array.isArray(v) ? v.includes(option) : v === option;
  };
  return (
    <Layout title={purpose.title} section="automations" {...frame}>
      {problems?.length ? (
        <Notice kind="error">
          <p>Fix these first:</p>
          <ul>
            {problems.map((p) => (
              <li>{p}</li>
            ))}
          </ul>
        </Notice>
      ) : null}
      <form method="post" action={purpose.action} class="stack wide" data-unsaved-guard="">
        <Csrf token={frame.csrf} />
        {purpose.fixedName ? (
          <p>
            Name: <code>{purpose.fixedName}</code> <span class="hint">(served under /{purpose.fixedName}; to rename, edit the YAML)</span>
          </p>
        ) : (
          <label>
            Name <span class="hint">lowercase letters, digits and dashes; the API is served under /NAME</span>
            <input type="text" name="name" required pattern="[a-z][a-z0-9\-]*" maxlength={50} value={value('name')} />
          </label>
        )}
        <label>
          Description <span class="hint">what the records are and what they are for: models read it to decide when to call</span>
          <textarea name="description" rows={2} required>
            {value('description')}
          </textarea>
        </label>
        <label>
          Storage connection <span class="hint">where the records live (documents/storage.md compares them)</span>
          <select name="connection">
            {connections.map((c) => (
              <option value={c.name} selected={value('connection') ? value('connection') === c.name : c.name === 'postgres'}>
                {c.name === c.backend ? c.name : `${c.name} (${c.backend})`}
              </option>
            ))}
          </select>
        </label>
        {purpose.schemaElsewhere ? (
          <p>{`The fields are in ${purpose.schemaElsewhere} (schema: $ref): edit them there.`}</p>
        ) : (
          <fieldset>
            <legend>Fields of one record</legend>
            {purpose.kept?.length ? (
              <p class="hint">{`Kept as written, edit them in the YAML: ${purpose.kept.join(', ')} (not one of ${FIELD_TYPES.join(', ')}).`}</p>
            ) : null}
            <p class="hint">
              Leave a row's name empty to skip it. id, createdAt and updatedAt are added for you. Strings get a maximum length (200 unless
              you set one) so a model knows how long they may be; values separated by commas make a string one of those values. A field that
              refers to another automation holds the id of one of its records: writes check that record exists, and reads can embed it with
              ?expand=.
            </p>
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Type</th>
                  <th scope="col">Required</th>
                  <th scope="col">Values</th>
                  <th scope="col">Max length</th>
                  <th scope="col">Minimum</th>
                  <th scope="col">Maximum</th>
                  <th scope="col">Description</th>
                  <th scope="col">Refers to</th>
                </tr>
              </thead>
              <tbody>
                {Array.from({ length: purpose.rows }, (_, row) => {
                  const at = (part: string) => `field-${row}-${part}`;
                  const label = (what: string) => `Field ${row + 1} ${what}`;
                  return (
                    <tr>
                      <td>
                        <input type="text" name={at('name')} aria-label={label('name')} value={value(at('name'))} size={14} />
                      </td>
                      <td>
                        <select name={at('type')} aria-label={label('type')}>
                          {FIELD_TYPES.map((t) => (
                            <option value={t} selected={value(at('type')) === t}>
                              {t}
                            </option>
                          ))}
                        </select>
                      </td>
                      <td>
                        <input
                          type="checkbox"
                          name={at('required')}
                          value="yes"
                          aria-label={label('required')}
                          checked={checked(at('required'), 'yes')}
                        />
                      </td>
                      <td>
                        <input type="text" name={at('enum')} aria-label={label('allowed values')} value={value(at('enum'))} size={12} />
                      </td>
                      <td>
                        <input
                          type="number"
                          name={at('maxLength')}
                          aria-label={label('max length')}
                          value={value(at('maxLength'))}
                          min={1}
                        />
                      </td>
                      <td>
                        <input type="number" name={at('minimum')} aria-label={label('minimum')} value={value(at('minimum'))} step="any" />
                      </td>
                      <td>
                        <input type="number" name={at('maximum')} aria-label={label('maximum')} value={value(at('maximum'))} step="any" />
                      </td>
                      <td>
                        <input type="text" name={at('description')} aria-label={label('description')} value={value(at('description'))} />
                      </td>
                      <td>
                        <select name={at('refersTo')} aria-label={label('refers to')}>
                          <option value="" selected={!value(at('refersTo'))}>
                            (nothing)
                          </option>
                          {[...new Set([...automations, ...(value(at('refersTo')) ? [value(at('refersTo'))] : [])])].map((a) => (
                            <option value={a} selected={value(at('refersTo')) === a}>
                              {a}
                            </option>
                          ))}
                        </select>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </fieldset>
        )}
        <fieldset>
          <legend>Operations</legend>
          {OPERATIONS.map((o) => (
            <label class="check">
              <input type="checkbox" name="operations" value={o} checked={values.operations ? checked('operations', o) : o !== 'search'} />
              {`${o}: ${OPERATION_HELP[o]}`}
            </label>
          ))}
        </fieldset>
        <label>
          List filters <span class="hint">field names separated by commas: ?field=value on the list</span>
          <input type="text" name="filters" value={value('filters')} />
        </label>
        <label>
          List sorts <span class="hint">field names (or createdAt) separated by commas: ?sort=field or ?sort=-field</span>
          <input type="text" name="sort" value={value('sort') || 'createdAt'} />
        </label>
        <label>
          Search fields <span class="hint">string fields the search operation matches words in</span>
          <input type="text" name="search" value={value('search')} />
        </label>
        <fieldset>
          <legend>Access</legend>
          <label class="check">
            <input type="radio" name="public" value="no" checked={value('public') !== 'yes'} />
            API key needed (NAME:read, NAME:write, NAME:delete scopes)
          </label>
          <label class="check">
            <input type="radio" name="public" value="yes" checked={value('public') === 'yes'} />
            Public: anyone may call every endpoint without a key
          </label>
        </fieldset>
        <fieldset>
          <legend>Rate limit per key (empty: the server's default)</legend>
          <label>
            Requests
            <input type="number" name="rateRequests" min={1} value={value('rateRequests')} />
          </label>
          <label>
            Per seconds
            <input type="number" name="ratePerSeconds" min={1} value={value('ratePerSeconds')} />
          </label>
        </fieldset>
        <button type="submit">{purpose.submit}</button>
      </form>
    </Layout>
  );
};
